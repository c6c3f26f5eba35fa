// Project-authored supply-chain and trade glossary (English and Korean) from which the quickstart builds its corpus.
namespace TuneSharp.Quickstart;

/// <summary>One glossary entry: the term and a noun-phrase definition in English and Korean. Written for TuneSharp.</summary>
public sealed record TradeTerm(string Term, string Definition, string TermKo, string DefinitionKo);

public static class TradeGlossary
{
    public static readonly IReadOnlyList<TradeTerm> Terms =
    [
        new("bill of lading", "a document issued by the carrier that confirms the goods were received for shipment and serves as a title to the cargo",
            "선하증권", "운송인이 화물을 선적을 위해 인수했음을 확인하고 화물의 권리를 나타내는 서류"),
        new("letter of credit", "a promise from the buyer's bank to pay the seller once the agreed shipping documents are presented",
            "신용장", "약정된 선적 서류가 제시되면 판매자에게 대금을 지급하겠다는 구매자 은행의 약속"),
        new("incoterms", "a set of standard trade rules that define which party pays for transport, insurance and risk at each stage",
            "인코텀즈", "운송비와 보험과 위험을 어느 당사자가 부담하는지 정하는 국제 표준 무역 규칙"),
        new("FOB", "an incoterm under which risk passes to the buyer once the goods are loaded on board the vessel at the port of shipment",
            "본선인도조건", "선적항에서 물품이 본선에 적재되는 순간 위험이 구매자에게 넘어가는 인코텀즈 조건"),
        new("CIF", "an incoterm under which the seller pays the cost, insurance and freight to bring the goods to the port of destination",
            "운임보험료포함조건", "판매자가 목적항까지의 운임과 보험료를 부담하는 인코텀즈 조건"),
        new("EXW", "an incoterm under which the seller only makes the goods available at its own premises and the buyer bears every other cost",
            "공장인도조건", "판매자는 자기 공장에서 물품을 넘기기만 하고 나머지 비용은 모두 구매자가 부담하는 조건"),
        new("DDP", "an incoterm under which the seller delivers the goods cleared for import and pays all duties at the destination",
            "관세지급인도조건", "판매자가 수입 통관을 마치고 목적지의 관세까지 모두 부담하여 인도하는 조건"),
        new("HS code", "a six digit number from the harmonized system that classifies a product for customs and tariffs",
            "에이치에스 코드", "세관과 관세를 위해 상품을 분류하는 국제 통일 상품 분류 번호"),
        new("customs clearance", "the process of declaring goods to customs, paying duties and getting permission to import or export",
            "통관", "세관에 물품을 신고하고 관세를 납부하여 수출입 허가를 받는 절차"),
        new("tariff", "a tax that a government charges on imported goods",
            "관세", "정부가 수입 물품에 부과하는 세금"),
        new("freight forwarder", "a company that arranges transport, booking and paperwork for shippers",
            "포워더", "화주를 대신해 운송과 예약과 서류 작업을 처리하는 회사"),
        new("container", "a standard steel box of twenty or forty feet used to carry cargo on ships, trains and trucks",
            "컨테이너", "선박과 기차와 트럭으로 화물을 운반하는 이십 피트 또는 사십 피트 규격의 철제 상자"),
        new("lead time", "the time between placing an order and receiving the goods",
            "리드타임", "주문을 넣은 때부터 물품을 받을 때까지 걸리는 시간"),
        new("safety stock", "extra inventory kept to protect against delays and sudden demand",
            "안전재고", "지연과 갑작스러운 수요에 대비해 추가로 보유하는 재고"),
        new("reorder point", "the inventory level at which a new order must be placed",
            "재주문점", "새로운 주문을 넣어야 하는 재고 수준"),
        new("just in time", "a production method that receives materials only when they are needed to keep inventory low",
            "적시생산방식", "재고를 줄이기 위해 필요한 때에만 자재를 받는 생산 방식"),
        new("bullwhip effect", "the growth of demand swings as orders move from retailers up to suppliers",
            "채찍효과", "주문이 소매점에서 공급업체로 올라갈수록 수요 변동이 커지는 현상"),
        new("commercial invoice", "the seller's bill that states the goods, their value and the terms of sale for customs",
            "상업송장", "세관을 위해 물품과 가격과 거래 조건을 적은 판매자의 청구서"),
        new("packing list", "a document that lists the contents, weight and packaging of every package in a shipment",
            "포장명세서", "선적된 각 포장의 내용물과 무게와 포장 방식을 적은 서류"),
        new("certificate of origin", "a document that states the country where the goods were made",
            "원산지증명서", "물품이 만들어진 나라를 증명하는 서류"),
        new("demurrage", "a charge paid when a container stays at the port longer than the free time",
            "체선료", "컨테이너가 무료 기간보다 오래 항구에 머물 때 내는 요금"),
        new("warehouse", "a building where goods are stored before they are shipped or sold",
            "창고", "물품을 출고하거나 판매하기 전에 보관하는 건물"),
        new("third party logistics", "a provider that runs warehousing and transport for other companies",
            "삼자물류", "다른 회사를 대신해 보관과 운송을 운영하는 물류 업체"),
        new("free trade agreement", "a treaty between countries that lowers or removes tariffs on their trade",
            "자유무역협정", "나라들 사이의 관세를 낮추거나 없애는 조약"),
        new("transshipment", "moving cargo from one vessel to another at an intermediate port",
            "환적", "중간 항구에서 화물을 한 선박에서 다른 선박으로 옮겨 싣는 일"),
        new("cargo insurance", "insurance that pays for goods lost or damaged during transport",
            "적하보험", "운송 중에 분실되거나 손상된 화물을 보상하는 보험"),
        new("purchase order", "a buyer's document that states the products, quantities and prices it agrees to buy",
            "구매주문서", "구매자가 사기로 한 제품과 수량과 가격을 적은 서류"),
        new("supply chain", "the network of suppliers, factories, warehouses and carriers that brings a product to the customer",
            "공급망", "제품을 고객에게 전달하는 공급업체와 공장과 창고와 운송업체의 연결망"),
    ];

    /// <summary>Narrative paragraphs (continued pre-training text beyond the definitions).</summary>
    public static readonly IReadOnlyList<string> Paragraphs =
    [
        "An exporter ships goods under a sales contract. The contract names an incoterm, the price, the payment method and the time of delivery. The freight forwarder books space on a vessel and prepares the commercial invoice, the packing list and the bill of lading.",
        "When goods arrive at the port of destination, the importer or its customs broker files a declaration. Customs checks the HS code, the value and the certificate of origin, and the importer pays the tariff before the cargo is released.",
        "A buyer who pays by letter of credit asks its bank to open the credit. The seller ships the goods and presents the documents to the bank. If the documents match the terms of the credit, the bank pays the seller.",
        "Inventory planners watch the lead time of every supplier. They keep safety stock for items with long or uncertain lead times, and they place a new order when stock falls to the reorder point.",
        "수출업자는 매매계약에 따라 물품을 선적한다. 계약서에는 인코텀즈 조건과 가격과 결제 방법과 인도 시기가 적혀 있다. 포워더는 선박의 공간을 예약하고 상업송장과 포장명세서와 선하증권을 준비한다.",
        "물품이 목적항에 도착하면 수입자나 관세사가 수입 신고를 한다. 세관은 에이치에스 코드와 가격과 원산지증명서를 확인하고, 수입자는 관세를 납부한 뒤 화물을 반출한다.",
        "신용장으로 결제하는 구매자는 거래 은행에 신용장 개설을 요청한다. 판매자는 물품을 선적하고 서류를 은행에 제시한다. 서류가 신용장 조건과 일치하면 은행이 대금을 지급한다.",
        "재고 담당자는 공급업체마다 리드타임을 관리한다. 리드타임이 길거나 불확실한 품목에는 안전재고를 두고, 재고가 재주문점까지 떨어지면 새로운 주문을 넣는다.",
    ];
}
