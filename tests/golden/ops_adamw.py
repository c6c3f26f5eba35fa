"""AdamW golden values: 10 steps of torch.optim.AdamW (single-tensor path) with weight decay on fixed random grads."""
import torch


def generate(write):
    steps = 10
    p0 = torch.randn(3, 7)
    grads = torch.randn(steps, 3, 7) * 0.5
    grads[3] *= 1e-3  # small grads: eps matters
    param = torch.nn.Parameter(p0.clone())
    lr, betas, eps, wd = 1e-2, (0.9, 0.999), 1e-8, 0.1
    opt = torch.optim.AdamW([param], lr=lr, betas=betas, eps=eps, weight_decay=wd, foreach=False)
    after_first = None
    for t in range(steps):
        param.grad = grads[t].clone()
        opt.step()
        if t == 0:
            after_first = param.detach().clone()
    st = opt.state[param]
    write("adamw_10_steps", {"param0": p0, "grads": grads, "param1": after_first, "param": param.detach(),
                             "exp_avg": st["exp_avg"], "exp_avg_sq": st["exp_avg_sq"]},
          {"steps": steps, "lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd})
