//! Demo data: a few hundred realistic complaints in four languages, at every step, created
//! through the real commands with a back-dated clock, so a new user sees a living system.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use redress_domain::{
    Actor, Channel, ComplaintAction, ComplaintCommand, CustomerEmail, Direction, Language,
    ManualClock, NewComplaint, NewCustomer, Outcome, Priority, Reference, StaffMember, Tier,
};
use redress_store::{CommandError, Role, Store};
use uuid::Uuid;

/// The demo staff: fixed ids so their names line up across runs.
pub fn staff() -> Vec<StaffMember> {
    [
        ("6a0c2f9e-54b1-4c43-9d0b-1f1e6c1a0001", "Maria Ionescu"),
        ("6a0c2f9e-54b1-4c43-9d0b-1f1e6c1a0002", "James Carter"),
        ("6a0c2f9e-54b1-4c43-9d0b-1f1e6c1a0003", "Lucía Fernández"),
        ("6a0c2f9e-54b1-4c43-9d0b-1f1e6c1a0004", "Zhang Wei"),
    ]
    .into_iter()
    .map(|(id, name)| StaffMember {
        id: Uuid::parse_str(id).expect("a literal uuid"),
        name: name.into(),
    })
    .collect()
}

/// The password of every demo account (printed by `redress demo-data`, written in the README).
pub const DEMO_PASSWORD: &str = "redress-demo-2026";

/// The demo accounts: the demo staff, one per role (and a second agent).
pub fn accounts() -> Vec<(StaffMember, &'static str, Role)> {
    let staff = staff();
    vec![
        (staff[0].clone(), "admin@redress.example", Role::Admin),
        (staff[1].clone(), "manager@redress.example", Role::Manager),
        (staff[2].clone(), "agent@redress.example", Role::Agent),
        (staff[3].clone(), "agent2@redress.example", Role::Agent),
    ]
}

/// Creates the demo accounts (with the demo staff's ids, so "mine" matches the demo data).
/// Accounts that exist already are left alone.
pub async fn create_accounts(store: &Store) -> anyhow::Result<()> {
    let hash = redress_store::accounts::hash_password(DEMO_PASSWORD)?;
    for (member, email, role) in accounts() {
        match store
            .accounts
            .create_with_id(member.id, email, &member.name, role, &hash)
            .await
        {
            Ok(_) | Err(redress_store::AccountError::EmailTaken(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// One kind of complaint, in one language.
struct Scenario {
    category: &'static str,
    summary: &'static str,
    description: &'static str,
    remedy: &'static str,
    fact: &'static str,
    findings: &'static str,
    action: &'static str,
    reasons: &'static str,
}

struct LanguagePack {
    language: Language,
    names: &'static [&'static str],
    domain: &'static str,
    apology: &'static str,
    update: &'static str,
    request: &'static str,
    /// A second point of complaint every scenario has (the first is its summary).
    kept_waiting: &'static str,
    /// An agent's internal note, mentioning the manager.
    note: &'static str,
    /// A reply in the agent's own words.
    reply: &'static str,
    /// What a customer adds on their status page.
    addition: &'static str,
    /// The reasons for not upholding the second point.
    second_reasons: &'static str,
    scenarios: &'static [Scenario],
}

const PACKS: &[LanguagePack] = &[
    LanguagePack {
        language: Language::En,
        names: &[
            "Olivia Bennett",
            "Harry Patel",
            "Amelia Hughes",
            "George Walsh",
            "Isla Murphy",
            "Noah Clarke",
            "Emily Shaw",
            "Jack Robinson",
            "Grace Kelly",
            "Oscar Price",
        ],
        domain: "example.co.uk",
        apology: "I am truly sorry that we let you down. Thank you for telling us; I will look into this personally and keep you informed.",
        update: "We are still working on this and have chased our warehouse today. You will hear from us again by the date below.",
        request: "Could you send us a photo of the delivery label, please?",
        kept_waiting: "Nobody answered or called back while the customer waited.",
        note: "Checked with the warehouse: the second parcel is still on the shelf. @manager can you approve the express courier?",
        reply: "Thank you for your patience. I have asked the warehouse to send the rest of your order today by express courier, and I will write again as soon as it is on its way.",
        addition: "I have now received a letter asking me to pay again. Please sort this out.",
        second_reasons: "Our call records show two calls returned within the day.",
        scenarios: &[
            Scenario {
                category: "Delivery",
                summary: "Order arrived a week late and incomplete",
                description: "I ordered a set of kitchen chairs for my mother's birthday. They came a week after the promised date and one chair was missing. Nobody answered the phone when I called twice.",
                remedy: "Send the missing chair this week and refund the delivery charge.",
                fact: "Courier scan shows the parcel left our depot 6 days after the promised dispatch date.",
                findings: "The order was split across two warehouses and the second part was never released.",
                action: "Ship the missing chair by express courier and refund the delivery charge of £9.95.",
                reasons: "We missed the delivery date we promised and failed to send the whole order.",
            },
            Scenario {
                category: "Billing",
                summary: "Charged twice for the same monthly plan",
                description: "My bank statement shows two payments of £24.99 on the same day for my subscription. I only have one account.",
                remedy: "Refund the duplicate payment.",
                fact: "Payment provider log shows two captures for one invoice, 40 seconds apart.",
                findings: "A retry after a gateway timeout captured the payment a second time.",
                action: "Refund the duplicate £24.99 to the original card.",
                reasons: "The second payment was our error; it has been refunded in full.",
            },
            Scenario {
                category: "Customer service",
                summary: "Rude answer from the call centre",
                description: "When I called about my warranty the agent interrupted me, said it was my fault and hung up. I have been a customer for twelve years.",
                remedy: "An apology and someone who will actually look at my warranty claim.",
                fact: "The call recording confirms the call was ended by the agent after 2 minutes.",
                findings: "The agent did not follow our call-handling standard; the warranty claim is valid.",
                action: "Process the warranty claim and arrange coaching for the agent.",
                reasons: "The call was handled badly and the warranty claim should have been accepted.",
            },
            Scenario {
                category: "Product quality",
                summary: "Kettle stopped working after two weeks",
                description: "The kettle I bought stopped heating after two weeks of normal use. The light comes on but nothing happens.",
                remedy: "A replacement kettle.",
                fact: "The serial number belongs to a batch with a known thermostat fault.",
                findings: "The customer's kettle is part of the faulty batch.",
                action: "Send a replacement kettle from a newer batch with a prepaid return label.",
                reasons: "The fault is in the product, not in how it was used.",
            },
        ],
    },
    LanguagePack {
        language: Language::Es,
        names: &[
            "Lucía García",
            "Hugo Martínez",
            "Martina López",
            "Pablo Sánchez",
            "Sofía Romero",
            "Daniel Navarro",
            "Valeria Torres",
            "Álvaro Ruiz",
            "Carmen Ortega",
            "Javier Molina",
        ],
        domain: "ejemplo.es",
        apology: "Lamento sinceramente las molestias que le hemos causado. Gracias por contárnoslo: me ocupo personalmente de su caso y le mantendré informado.",
        update: "Seguimos trabajando en su caso y hoy hemos vuelto a contactar con el almacén. Volverá a tener noticias nuestras, como muy tarde, en la fecha indicada.",
        request: "¿Podría enviarnos una foto de la etiqueta del envío, por favor?",
        kept_waiting: "Nadie respondió ni devolvió las llamadas mientras el cliente esperaba.",
        note: "Hablé con el almacén: el segundo paquete sigue en la estantería. @manager ¿apruebas el envío urgente?",
        reply: "Gracias por su paciencia. He pedido al almacén que le envíe hoy el resto del pedido por mensajería urgente y le escribiré en cuanto esté en camino.",
        addition: "Ahora me ha llegado una carta pidiéndome que pague otra vez. Por favor, soluciónenlo.",
        second_reasons: "Nuestro registro muestra dos llamadas devueltas el mismo día.",
        scenarios: &[
            Scenario {
                category: "Entrega",
                summary: "El pedido llegó con diez días de retraso",
                description: "Pedí una lavadora con entrega garantizada en 48 horas y llegó diez días después. Tuve que ir a la lavandería toda la semana y nadie me avisó del retraso.",
                remedy: "Que me devuelvan los gastos de envío y una compensación por la lavandería.",
                fact: "El transportista registró la recogida ocho días después de la fecha prometida.",
                findings: "El pedido quedó bloqueado por un error de stock en el almacén de Valencia.",
                action: "Reembolsar los gastos de envío y abonar 30 € por los gastos de lavandería.",
                reasons: "No cumplimos el plazo de entrega garantizado ni avisamos del retraso.",
            },
            Scenario {
                category: "Facturación",
                summary: "Me cobran un servicio que di de baja",
                description: "Di de baja el servicio de mantenimiento en marzo y me siguen cobrando 15 € cada mes. Tengo el correo de confirmación de la baja.",
                remedy: "Que me devuelvan los cargos desde marzo.",
                fact: "La baja consta en el sistema, pero no se trasladó a facturación.",
                findings: "Un fallo en la sincronización entre sistemas mantuvo activo el cobro.",
                action: "Devolver los cuatro cargos indebidos, 60 € en total.",
                reasons: "Los cargos posteriores a la baja son un error nuestro.",
            },
            Scenario {
                category: "Calidad del producto",
                summary: "El sofá se ha descosido en un mes",
                description: "El sofá que compramos tiene una costura abierta en el brazo izquierdo después de solo un mes de uso normal.",
                remedy: "Que lo reparen o lo cambien.",
                fact: "Las fotos muestran una costura abierta de unos 12 cm.",
                findings: "Se trata de un defecto de fabricación cubierto por la garantía.",
                action: "Enviar a un tapicero a domicilio para reparar la costura sin coste.",
                reasons: "El defecto es de fabricación y está cubierto por la garantía.",
            },
        ],
    },
    LanguagePack {
        language: Language::Ro,
        names: &[
            "Andreea Popescu",
            "Mihai Ionescu",
            "Ioana Dumitrescu",
            "Alexandru Stan",
            "Elena Radu",
            "Ștefan Munteanu",
            "Raluca Constantin",
            "Bogdan Marin",
            "Cristina Georgescu",
            "Vlad Tudor",
        ],
        domain: "exemplu.ro",
        apology: "Îmi pare sincer rău pentru neplăcerile pe care vi le-am produs. Vă mulțumim că ne-ați spus; mă ocup personal de reclamația dumneavoastră și vă țin la curent.",
        update: "Lucrăm în continuare la reclamația dumneavoastră și am revenit astăzi la depozit. Veți primi vești de la noi cel târziu la data de mai jos.",
        request: "Ne puteți trimite, vă rog, o fotografie a etichetei coletului?",
        kept_waiting: "Nimeni nu a răspuns și nu a sunat înapoi cât timp clientul a așteptat.",
        note: "Am vorbit cu depozitul: al doilea colet e încă pe raft. @manager aprobi curierul rapid?",
        reply: "Vă mulțumim pentru răbdare. Am cerut depozitului să vă trimită astăzi restul comenzii prin curier rapid și vă scriu imediat ce pleacă.",
        addition: "Acum am primit o scrisoare prin care mi se cere să plătesc din nou. Vă rog să rezolvați.",
        second_reasons: "Registrul nostru arată două apeluri returnate în aceeași zi.",
        scenarios: &[
            Scenario {
                category: "Livrare",
                summary: "Coletul a fost livrat la o adresă greșită",
                description: "Am comandat un televizor, iar curierul l-a lăsat la vecinul de la etajul doi, fără să mă anunțe. Am aflat abia după trei zile.",
                remedy: "Să se verifice dacă televizorul este întreg și să fiu despăgubit pentru întârziere.",
                fact: "Confirmarea de livrare are semnătura altei persoane.",
                findings: "Curierul nu a respectat procedura de livrare cu semnătura destinatarului.",
                action: "Trimitem un tehnician să verifice televizorul și oferim un voucher de 100 de lei.",
                reasons: "Livrarea nu s-a făcut conform procedurii.",
            },
            Scenario {
                category: "Facturare",
                summary: "Factura conține un abonament pe care nu l-am cerut",
                description: "Pe factura din luna aceasta apare un pachet de canale sport pe care nu l-am comandat niciodată.",
                remedy: "Să se scoată pachetul și să mi se returneze banii.",
                fact: "Pachetul a fost activat automat după o promoție expirată.",
                findings: "Activarea nu a avut acordul clientului.",
                action: "Dezactivăm pachetul și returnăm 45 de lei în contul clientului.",
                reasons: "Pachetul a fost activat fără acordul dumneavoastră.",
            },
            Scenario {
                category: "Servicii clienți",
                summary: "Nimeni nu răspunde la telefon de o săptămână",
                description: "Sun de o săptămână la numărul de asistență și aștept peste 40 de minute de fiecare dată, apoi se închide apelul.",
                remedy: "Să mă sune cineva care îmi poate rezolva problema cu contul.",
                fact: "Timpul mediu de așteptare în acea săptămână a fost de 38 de minute.",
                findings: "Centrul de apel a avut personal insuficient din cauza unei pene de sistem.",
                action: "Un coleg vă sună pentru rezolvarea problemei contului și extindem programul centrului.",
                reasons: "Timpii de așteptare au fost inacceptabili.",
            },
        ],
    },
    LanguagePack {
        language: Language::Zh,
        names: &[
            "王芳", "李明", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄丽", "周杰", "吴婷",
        ],
        domain: "example.cn",
        apology: "非常抱歉给您带来了不便。感谢您告诉我们这件事，我会亲自跟进，并随时向您通报进展。",
        update: "我们仍在处理您的投诉，今天已再次联系仓库。我们最迟会在下列日期前再次与您联系。",
        request: "请您提供一张快递面单的照片，好吗？",
        kept_waiting: "客户等待期间无人接听，也无人回电。",
        note: "已和仓库确认：第二个包裹还在货架上。@manager 能否批准加急快递？",
        reply: "感谢您的耐心。我已请仓库今天用加急快递寄出您订单的其余部分，发出后会立即再给您写信。",
        addition: "我现在又收到一封要求我再次付款的信，请尽快处理。",
        second_reasons: "我们的通话记录显示当天已两次回电。",
        scenarios: &[
            Scenario {
                category: "配送",
                summary: "快递延误一周且包装破损",
                description: "我订购的电饭煲比承诺的时间晚了一周才送到，外包装严重破损，内胆有划痕。",
                remedy: "希望更换一台新的电饭煲。",
                fact: "物流记录显示包裹在中转站滞留了五天。",
                findings: "中转站分拣错误导致延误，运输途中包装受损。",
                action: "免费为您更换一台新的电饭煲，并上门取回旧机。",
                reasons: "延误和破损都是我们物流环节的问题。",
            },
            Scenario {
                category: "账单",
                summary: "会员费被重复扣款",
                description: "我的信用卡在同一天被扣了两次年度会员费，每次199元。",
                remedy: "退还多扣的费用。",
                fact: "支付记录显示同一订单有两笔扣款。",
                findings: "支付网关超时后系统重复提交了扣款请求。",
                action: "将多扣的199元原路退回您的信用卡。",
                reasons: "重复扣款是我们系统的错误。",
            },
            Scenario {
                category: "产品质量",
                summary: "新买的手机屏幕出现亮线",
                description: "手机买了不到十天，屏幕上就出现了一条绿色的竖线，没有摔过也没有进水。",
                remedy: "希望换一台新手机。",
                fact: "检测报告确认屏幕排线存在出厂缺陷。",
                findings: "属于质量问题，符合七天以上十五天以内换货政策。",
                action: "为您更换同型号新机，并承担往返运费。",
                reasons: "经检测属于产品质量问题。",
            },
        ],
    },
];

/// Demo companies that are key accounts, with the team's notes.
const KEY_ACCOUNTS: &[(&str, &str)] = &[
    (
        "Northwind Traders",
        "Our largest wholesale customer: about a fifth of revenue. Their purchasing team escalates quickly; answer the same day.",
    ),
    (
        "华南电子有限公司",
        "Key distributor for South China. Write in Chinese; the account manager is copied on every outcome.",
    ),
];

const COMPANIES: &[&str] = &[
    "Northwind Traders",
    "Contoso Ltd",
    "Iberia Hogar SL",
    "Carpați Logistic SRL",
    "华南电子有限公司",
    "Fabrikam Retail",
];

/// Builds a step that carries a date, from the clock's today.
type DatedStep = fn(&Scenario, &LanguagePack, chrono::NaiveDate) -> ComplaintAction;

/// How far a demo complaint gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Received,
    Acknowledged,
    Investigating,
    Investigated,
    Committed,
    Owned,
    Updated,
    Resolved,
    Closed,
    Rated,
}

const STAGES: &[Stage] = &[
    Stage::Received,
    Stage::Acknowledged,
    Stage::Investigating,
    Stage::Investigated,
    Stage::Committed,
    Stage::Owned,
    Stage::Updated,
    Stage::Resolved,
    Stage::Closed,
    Stage::Rated,
];

/// What the demo loader made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// Complaints created.
    pub complaints: usize,
    /// Commands run.
    pub commands: usize,
}

/// Loads `count` demo complaints received over the last 120 days. `seed` makes the data
/// repeatable. The store must be opened with `clock`, which this moves.
pub async fn load(
    store: &Store,
    clock: &ManualClock,
    count: usize,
    seed: u64,
) -> Result<DemoReport, CommandError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let staff = staff();
    let now = Utc::now();
    let mut commands = 0;
    // Two companies bring most of the business: key accounts, with a note for the team.
    for (company, notes) in KEY_ACCOUNTS {
        store
            .companies
            .open_file(company, Tier::KeyAccount, notes, "Demo data")
            .await
            .map_err(|e| CommandError::Storage(e.into()))?;
    }
    crate::demo_teams::create_teams(store)
        .await
        .map_err(|e| CommandError::Storage(e.into()))?;
    crate::demo_causes::create_causes(store)
        .await
        .map_err(|e| CommandError::Storage(e.into()))?;
    // The people of each company: some complain more than once (repeat complainants).
    let mut company_contacts: Vec<(usize, String, String, String)> = Vec::new();
    for index in 0..count {
        let pack = &PACKS[index % PACKS.len()];
        let scenario = pack.scenarios.choose(&mut rng).expect("scenarios");
        let age_minutes = rng.gen_range(30..120 * 24 * 60);
        let past = crate::demo_surveys::past_customer(index, count);
        let age_minutes = age_minutes + crate::demo_surveys::past_age_minutes(past);
        let received_at = now - Duration::minutes(age_minutes);
        // Older complaints have got further; a few old ones are stuck, as in life.
        let max_stage = (age_minutes as usize * STAGES.len()) / (120 * 24 * 60) + 2;
        let stage = STAGES[rng.gen_range(0..max_stage.min(STAGES.len()))];
        let stage = if past { Stage::Closed } else { stage };
        clock.set(received_at);

        let mut name = pack.names.choose(&mut rng).expect("names").to_string();
        let mut email = demo_email(&name, pack.domain, index);
        let mut company = rng
            .gen_bool(0.4)
            .then(|| COMPANIES.choose(&mut rng).expect("companies").to_string());
        let same_pack: Vec<&(usize, String, String, String)> = company_contacts
            .iter()
            .filter(|(p, ..)| *p == index % PACKS.len())
            .collect();
        if company.is_some() && !same_pack.is_empty() && rng.gen_bool(0.35) && !past {
            let (_, n, e, c) = (*same_pack.choose(&mut rng).expect("contacts")).clone();
            (name, email, company) = (n, e, Some(c));
        } else if let Some(company) = &company {
            company_contacts.push((
                index % PACKS.len(),
                name.clone(),
                email.clone(),
                company.clone(),
            ));
        }
        let channel = *[
            Channel::WebForm,
            Channel::Email,
            Channel::Phone,
            Channel::InPerson,
            Channel::Api,
        ]
        .choose(&mut rng)
        .expect("channels");
        let priority = *[
            Priority::Low,
            Priority::Normal,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ]
        .choose(&mut rng)
        .expect("priorities");
        let by_staff = |member: &StaffMember| Actor::Staff(member.clone());
        let receiver = match channel {
            Channel::WebForm | Channel::Email => Actor::Customer,
            Channel::Api => Actor::System { name: "api".into() },
            Channel::Survey => Actor::System {
                name: "recovery".into(),
            },
            Channel::Phone | Channel::InPerson => by_staff(staff.choose(&mut rng).expect("staff")),
        };
        let new = NewComplaint {
            reference: Reference::generate(&mut rng),
            customer: NewCustomer {
                name: name.clone(),
                email: Some(CustomerEmail::parse(&email).expect("demo addresses are valid")),
                phone: rng.gen_bool(0.5).then(|| {
                    format!(
                        "+40 7{:02} {:03} {:03}",
                        index % 100,
                        rng.gen_range(0..1000),
                        rng.gen_range(0..1000)
                    )
                }),
                language: pack.language,
            },
            company,
            tier: Tier::Standard,
            channel,
            category: scenario.category.into(),
            summary: scenario.summary.into(),
            description: scenario.description.into(),
            remedy_requested: Some(scenario.remedy.into()),
            priority,
            routing: None,
        };
        let reference = new.reference.clone();
        store.complaints.receive_as(receiver, new).await?;
        commands += 1;
        // Some complaints carry a tag or two (chosen by the reference, so the demo's random
        // sequence stays as it was).
        for tag in crate::demo_teams::demo_tags(reference.as_str()) {
            clock.advance(Duration::minutes(5));
            run(
                store,
                &reference,
                by_staff(&staff[reference.as_str().len() % staff.len()]),
                ComplaintAction::AddTag { tag: tag.into() },
            )
            .await?;
            commands += 1;
        }

        let owner = staff.choose(&mut rng).expect("staff").clone();
        let agent = by_staff(&owner);
        let step = |action: ComplaintAction, by: Actor, after: Duration| (action, by, after);
        // Each step comes `after` the one before it.
        let mut plan: Vec<(ComplaintAction, Actor, Duration)> = Vec::new();
        let hours = |h: i64| Duration::minutes(h * 60 + 7);
        if stage >= Stage::Acknowledged {
            plan.push(step(
                ComplaintAction::Acknowledge {
                    apology: pack.apology.into(),
                },
                agent.clone(),
                Duration::minutes(rng.gen_range(10..600)),
            ));
            // Step 2: what we understood the complaint to be about (some complaints that
            // have just been acknowledged are still being listened to).
            if stage >= Stage::Investigating || index % 3 != 0 {
                plan.push(step(
                    ComplaintAction::RecordPoints {
                        points: vec![scenario.summary.into(), pack.kept_waiting.into()],
                        send: (index / PACKS.len()).is_multiple_of(2),
                    },
                    agent.clone(),
                    hours(1),
                ));
            }
        }
        if stage >= Stage::Owned || rng.gen_bool(0.3) {
            plan.push(step(
                ComplaintAction::AssignOwner {
                    owner: owner.clone(),
                },
                agent.clone(),
                hours(1),
            ));
        }
        if stage >= Stage::Investigating {
            plan.push(step(
                ComplaintAction::RecordCustomerStatement {
                    channel: Channel::Phone,
                    statement: scenario.description.into(),
                    shared: (index / PACKS.len()).is_multiple_of(3),
                },
                agent.clone(),
                hours(3),
            ));
            plan.push(step(
                ComplaintAction::RecordFact {
                    fact: scenario.fact.into(),
                    source: Some("Internal systems".into()),
                },
                agent.clone(),
                hours(20),
            ));
            if index % 3 == 0 {
                plan.push(step(
                    ComplaintAction::AddInternalNote {
                        note: pack.note.into(),
                        mentions: vec![staff[1].clone()],
                    },
                    agent.clone(),
                    hours(1),
                ));
            }
            if rng.gen_bool(0.2) {
                plan.push(step(
                    ComplaintAction::WaitOnCustomer {
                        request: pack.request.into(),
                    },
                    agent.clone(),
                    hours(2),
                ));
                plan.push(step(
                    ComplaintAction::RecordCustomerResponse {
                        response: scenario.remedy.into(),
                    },
                    Actor::Customer,
                    hours(30),
                ));
            }
        }
        if stage >= Stage::Investigated {
            plan.push(step(
                ComplaintAction::ConcludeInvestigation {
                    findings: scenario.findings.into(),
                },
                agent.clone(),
                hours(26),
            ));
        }
        for (action, by, after) in plan {
            clock.set((clock_now(clock) + after).min(now));
            run(store, &reference, by, action).await?;
            commands += 1;
        }
        // Steps from here on carry dates, which must not be before the clock's today.
        let later: &[(Stage, DatedStep)] = &[
            (Stage::Committed, |s, _, today| {
                ComplaintAction::CommitToAction {
                    action: s.action.into(),
                    due_on: today + Duration::days(5),
                    resolve_by: None,
                }
            }),
            (Stage::Updated, |_, p, today| {
                ComplaintAction::SendProgressUpdate {
                    message: p.update.into(),
                    next_update_on: today + Duration::days(3),
                    resolve_by: None,
                }
            }),
        ];
        for (at_stage, make) in later {
            if stage >= *at_stage {
                clock.set((clock_now(clock) + Duration::hours(rng.gen_range(4..48))).min(now));
                let action = make(scenario, pack, clock_now(clock).date_naive());
                run_promising(store, &reference, agent.clone(), action).await?;
                commands += 1;
            }
        }
        // A reply in our own words, on every other complaint being kept informed in each
        // language (the packs take turns, so `index % 2` would leave two languages out).
        if stage >= Stage::Updated && (index / PACKS.len()) % 2 == 1 {
            clock.set((clock_now(clock) + Duration::hours(5)).min(now));
            run(
                store,
                &reference,
                agent.clone(),
                ComplaintAction::SendReply {
                    message: pack.reply.into(),
                    attachments: vec![],
                    saved_reply: None,
                },
            )
            .await?;
            commands += 1;
        }
        if stage >= Stage::Resolved {
            clock.set((clock_now(clock) + Duration::hours(rng.gen_range(24..120))).min(now));
            let outcome = *[
                Outcome::Upheld,
                Outcome::Upheld,
                Outcome::PartlyUpheld,
                Outcome::NotUpheld,
            ]
            .choose(&mut rng)
            .expect("outcomes");
            run(
                store,
                &reference,
                agent.clone(),
                ComplaintAction::Resolve {
                    outcome: None,
                    decisions: decisions(outcome, scenario.reasons, pack.second_reasons),
                    reasons: scenario.reasons.into(),
                    remedy: (outcome != Outcome::NotUpheld).then(|| scenario.action.into()),
                    redress_paid_cents: (outcome == Outcome::Upheld)
                        .then(|| rng.gen_range(1_000..20_000)),
                },
            )
            .await?;
            crate::demo_causes::name_causes(store, &reference, agent.clone()).await?;
            commands += 2;
        }
        if stage >= Stage::Closed {
            clock.set((clock_now(clock) + Duration::hours(rng.gen_range(1..72))).min(now));
            run(store, &reference, agent.clone(), ComplaintAction::Close).await?;
            commands += 1;
        }
        if stage >= Stage::Rated {
            clock.set((clock_now(clock) + Duration::hours(rng.gen_range(1..48))).min(now));
            run(
                store,
                &reference,
                Actor::Customer,
                ComplaintAction::RecordSatisfaction {
                    score: rng.gen_range(1..=5),
                    comment: None,
                    would_change: rng
                        .gen_bool(0.5)
                        .then(|| would_change(reference.as_str()).into()),
                },
            )
            .await?;
            commands += 1;
        }
        if rng.gen_bool(0.15) && stage < Stage::Resolved {
            run(
                store,
                &reference,
                agent.clone(),
                ComplaintAction::RecordCommunication {
                    direction: Direction::Outbound,
                    channel: Channel::Phone,
                    summary: pack.update.into(),
                },
            )
            .await?;
            commands += 1;
        }
        // A few customers added something to open complaints in the last hours: their owners
        // (or the managers) have something new to read. (15 and the 4 packs share no factor:
        // every language has some.)
        if index % 15 == 7 && stage >= Stage::Acknowledged && stage < Stage::Resolved {
            clock.set((now - Duration::minutes(30 + index as i64)).max(clock_now(clock)));
            run(
                store,
                &reference,
                Actor::Customer,
                ComplaintAction::AddInformation {
                    text: Some(pack.addition.into()),
                    files: vec![],
                    channel: Channel::WebForm,
                },
            )
            .await?;
            commands += 1;
        }
    }
    // The demo's manager (accounts(): the second person).
    crate::demo_causes::open_action(store, &staff[1])
        .await
        .map_err(|e| CommandError::Storage(e.into()))?;
    crate::demo_accounts::keep_close(store, &staff)
        .await
        .map_err(|e| CommandError::Storage(e.into()))?;
    crate::demo_surveys::ask_and_answer(store)
        .await
        .map_err(|e| CommandError::Storage(e.into()))?;
    Ok(DemoReport {
        complaints: count,
        commands,
    })
}

/// The decision on each of the demo's two points that makes `outcome`.
fn decisions(outcome: Outcome, first: &str, second: &str) -> Vec<redress_domain::PointDecision> {
    let (one, two) = match outcome {
        Outcome::Upheld => (Outcome::Upheld, Outcome::Upheld),
        Outcome::PartlyUpheld => (Outcome::Upheld, Outcome::NotUpheld),
        Outcome::NotUpheld => (Outcome::NotUpheld, Outcome::NotUpheld),
    };
    vec![
        redress_domain::PointDecision {
            point: 1,
            outcome: one,
            reasons: first.into(),
        },
        redress_domain::PointDecision {
            point: 2,
            outcome: two,
            reasons: if two == Outcome::NotUpheld {
                second.into()
            } else {
                first.into()
            },
        },
    ]
}

/// Runs a command that promises the customer a date; a date past the complaint's resolution
/// target is brought forward to the last day it allows, as an agent would.
async fn run_promising(
    store: &Store,
    reference: &Reference,
    by: Actor,
    action: ComplaintAction,
) -> Result<(), CommandError> {
    match run(store, reference, by.clone(), action.clone()).await {
        Err(CommandError::Rejected(redress_domain::ComplaintError::DatePastResolution {
            resolve_by,
            ..
        })) => {
            let action = match action {
                ComplaintAction::CommitToAction { action, .. } => ComplaintAction::CommitToAction {
                    action,
                    due_on: resolve_by,
                    resolve_by: Some(resolve_by),
                },
                ComplaintAction::SendProgressUpdate { message, .. } => {
                    ComplaintAction::SendProgressUpdate {
                        message,
                        next_update_on: resolve_by,
                        resolve_by: Some(resolve_by),
                    }
                }
                other => other,
            };
            run(store, reference, by, action).await
        }
        other => other,
    }
}

/// The saved replies a team starts with, in the four languages.
pub const SAVED_REPLIES: &[(&str, [&str; 4])] = &[
    (
        "We are on it",
        [
            "Dear {{customer_name}},\n\nThank you for your patience. {{owner}} is handling your complaint {{reference}} and will write to you again by {{next_update_date}}.",
            "Estimado/a {{customer_name}}:\n\nGracias por su paciencia. {{owner}} lleva su reclamación {{reference}} y volverá a escribirle antes del {{next_update_date}}.",
            "Stimate/Stimată {{customer_name}},\n\nVă mulțumim pentru răbdare. {{owner}} se ocupă de reclamația {{reference}} și vă va scrie din nou până la {{next_update_date}}.",
            "尊敬的{{customer_name}}：\n\n感谢您的耐心。{{owner}}正在处理您的投诉 {{reference}}，并将在{{next_update_date}}之前再次给您写信。",
        ],
    ),
    (
        "What we will do",
        [
            "Dear {{customer_name}},\n\nHere is what we will do: {{commitment}}. We will have done it by {{commitment_date}}.",
            "Estimado/a {{customer_name}}:\n\nEsto es lo que haremos: {{commitment}}. Lo tendremos hecho antes del {{commitment_date}}.",
            "Stimate/Stimată {{customer_name}},\n\nIată ce vom face: {{commitment}}. Vom face acest lucru până la {{commitment_date}}.",
            "尊敬的{{customer_name}}：\n\n我们将采取以下行动：{{commitment}}。我们会在{{commitment_date}}之前完成。",
        ],
    ),
    (
        "Please send a photo",
        [
            "Dear {{customer_name}},\n\nTo move your complaint {{reference}} forward, could you reply with a photo of the damage?",
            "Estimado/a {{customer_name}}:\n\nPara avanzar con su reclamación {{reference}}, ¿podría responder con una foto de los daños?",
            "Stimate/Stimată {{customer_name}},\n\nPentru a merge mai departe cu reclamația {{reference}}, ne puteți trimite o fotografie a deteriorării?",
            "尊敬的{{customer_name}}：\n\n为推进您的投诉 {{reference}}，能否回复一张损坏情况的照片？",
        ],
    ),
];

/// After the demo's events are projected: the teams' members, the team's saved replies, and
/// every notification older than a day marked read (a team that had been using Redress would
/// have read them).
pub async fn settle(store: &Store) -> anyhow::Result<()> {
    let now = Utc::now();
    crate::demo_teams::settle_members(store, &staff()).await?;
    for (i, (title, bodies)) in SAVED_REPLIES.iter().enumerate() {
        let draft = redress_store::SavedReplyDraft {
            title: (*title).into(),
            bodies: bodies.map(String::from),
        };
        let id = Uuid::from_u128(0x5a7e_d000 + i as u128);
        if let Err(refused) = store
            .saved_replies
            .save(id, &draft, "Demo data", now)
            .await?
        {
            anyhow::bail!("the demo's saved reply {title:?} is refused: {refused}");
        }
    }
    for (member, _, role) in accounts() {
        store
            .notifications
            .mark_all_read(member.id, role, now - Duration::days(1))
            .await?;
    }
    Ok(())
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use redress_domain::Clock;
    clock.now()
}

async fn run(
    store: &Store,
    reference: &Reference,
    by: Actor,
    action: ComplaintAction,
) -> Result<(), CommandError> {
    store
        .complaints
        .execute(reference, ComplaintCommand::new(by, action))
        .await
}

/// Answers customers give to "If you ran this company, what would you change?", picked by
/// the reference (the demo's random sequence stays as it was).
fn would_change(reference: &str) -> &'static str {
    const ANSWERS: [&str; 8] = [
        "Answer the phone faster; I waited 40 minutes.",
        "Tell me who is dealing with my complaint from the first day.",
        "Keep me updated without me having to chase you.",
        "Check parcels before they leave the warehouse.",
        "Let me talk to someone who can actually decide.",
        "Refund first, investigate afterwards, for small amounts.",
        "Write to me in plain words, not in policy language.",
        "Fix the website so the order status is right.",
    ];
    let hash = reference.bytes().fold(0usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    ANSWERS[hash % ANSWERS.len()]
}

/// An address for a demo customer: ASCII letters of their name where there are some.
fn demo_email(name: &str, domain: &str, index: usize) -> String {
    let local: String = name
        .chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'ă' | 'â' | 'Á' => Some('a'),
            'é' | 'É' => Some('e'),
            'í' | 'î' => Some('i'),
            'ó' => Some('o'),
            'ú' => Some('u'),
            'ș' | 'Ș' => Some('s'),
            'ț' => Some('t'),
            ' ' => Some('.'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let local = if local.is_empty() {
        format!("customer{index}")
    } else {
        local
    };
    format!("{local}.{index}@{domain}")
}

/// A demo store's clock starts now; [`load`] moves it.
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(Utc::now()))
}
