// The little JavaScript of the dashboard: line charts of metrics on a canvas, fed by JSON and server-sent events.
namespace TuneSharp.Dashboard.Pages;

internal static class Charts
{
    /// <summary>
    /// drawCharts(el, series): one chart per metric name (loss, eval_loss, …), one line per series key.
    /// series: {"run 3 · train": {"loss": [[step, value], …]}}. No library: the page stays one request.
    /// </summary>
    public const string Script = """
        const palette=['#2a6fdb','#d9480f','#2b8a3e','#862e9c','#c92a2a','#0b7285'];
        function drawCharts(el, series){
          const names=[...new Set(Object.values(series).flatMap(s=>Object.keys(s)))].filter(n=>!/runtime|per_second|tokens_per_s/.test(n)).sort();
          el.innerHTML='';
          for(const name of names){
            const box=document.createElement('div');box.className='chartbox';box.style.display='inline-block';box.style.margin='4px';
            const title=document.createElement('div');title.textContent=name;title.style.fontSize='13px';title.style.fontWeight='600';
            const c=document.createElement('canvas');c.width=380;c.height=220;c.dataset.metric=name;
            box.appendChild(title);box.appendChild(c);el.appendChild(box);
            const lines=Object.entries(series).filter(([k,s])=>s[name]&&s[name].length).map(([k,s])=>[k,s[name]]);
            const pts=lines.flatMap(([k,p])=>p);
            if(!pts.length)continue;
            let x0=Math.min(...pts.map(p=>p[0])),x1=Math.max(...pts.map(p=>p[0])),y0=Math.min(...pts.map(p=>p[1])),y1=Math.max(...pts.map(p=>p[1]));
            if(x1===x0)x1=x0+1; if(y1===y0){y1+=Math.abs(y1)*0.1+1e-9;y0-=Math.abs(y0)*0.1+1e-9;}
            const g=c.getContext('2d'),L=48,R=10,T=10,B=28,W=c.width-L-R,H=c.height-T-B;
            const X=x=>L+(x-x0)/(x1-x0)*W, Y=y=>T+H-(y-y0)/(y1-y0)*H;
            g.strokeStyle='#ccc';g.strokeRect(L,T,W,H);g.fillStyle='#333';g.font='11px sans-serif';
            g.fillText(y1.toPrecision(3),2,T+8);g.fillText(y0.toPrecision(3),2,T+H);g.fillText(String(x0),L,c.height-10);g.fillText(String(x1),L+W-20,c.height-10);
            lines.forEach(([k,p],i)=>{g.strokeStyle=palette[i%palette.length];g.lineWidth=2;g.beginPath();
              p.forEach(([x,y],j)=>j?g.lineTo(X(x),Y(y)):g.moveTo(X(x),Y(y)));g.stroke();
              if(p.length===1){g.fillStyle=g.strokeStyle;g.fillRect(X(p[0][0])-2,Y(p[0][1])-2,4,4);}
              g.fillStyle=palette[i%palette.length];g.fillText(k,L+6,T+14+12*i);});
          }
        }
        """;
}
