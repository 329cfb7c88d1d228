//! What a reply says, without the earlier mail it quotes and without the sender's signature.
//!
//! Mail programs mark quoted mail in a few ways, in the sender's language: an attribution line
//! ("On 2 March 2026, Ana wrote:", "El 2 mar 2026, Ana escribió:", "Pe 2 mar. 2026, Ana a
//! scris:", "Ana 于2026年3月2日写道："), an "Original Message" rule, an Outlook header block
//! ("From: … Sent: …"), or `>` before every quoted line. Signatures start at the `-- ` line
//! (RFC 3676) or are a phone's "Sent from my …". In a reply, everything from the first such
//! mark on is cut, and runs of `>` lines are dropped wherever they are. A new message keeps
//! what it quotes or forwards (it is often the substance of the complaint) and loses only
//! its signature. When nothing would be left (a message that is all quotation), the whole
//! text is kept: something is better than nothing.

/// Attribution lines end like this (after trimming), in English, Spanish, Romanian and
/// Chinese, with the start they must have (empty: any).
const ATTRIBUTIONS: &[(&str, &str)] = &[
    ("On ", "wrote:"),
    ("El ", "escribió:"),
    ("Pe ", "a scris:"),
    ("În ", "a scris:"),
    ("In ", "a scris:"),
    ("", "写道："),
    ("", "写道:"),
];

/// Rules that start forwarded or quoted mail (compared without the dashes around them).
const ORIGINAL_MESSAGE: &[&str] = &[
    "original message",
    "mensaje original",
    "mesaj original",
    "mesajul original",
    "原始邮件",
    "原始郵件",
    "forwarded message",
    "mensaje reenviado",
];

/// An Outlook header block: "From:" then at least two more header lines ("Sent:", "To:",
/// "Subject:"…, or the same in Spanish, Romanian, Chinese) among the next three, so that
/// "From: London Heathrow / To: Bucharest" in a customer's own words is not taken for one.
const HEADER_FROM: &[&str] = &["From:", "De:", "De la:", "发件人:", "发件人：", "寄件者:"];
const HEADER_NEXT: &[&str] = &[
    "Sent:",
    "Date:",
    "To:",
    "Cc:",
    "Subject:",
    "Enviado:",
    "Fecha:",
    "Para:",
    "Asunto:",
    "Trimis:",
    "Data:",
    "Către:",
    "Subiect:",
    "发送时间:",
    "发送时间：",
    "收件人:",
    "收件人：",
    "日期:",
    "主题:",
    "主题：",
];

/// How close to the end a bare `--` line must be to count as a signature's start.
const SIGNATURE_LINES: usize = 12;

/// "Sent from my iPhone" and the like: a signature when it stands alone near the end.
const SENT_FROM: &[&str] = &[
    "sent from my ",
    "get outlook for ",
    "enviado desde mi ",
    "enviado desde ",
    "trimis de pe ",
    "trimis de pe dispozitivul ",
    "发自我的",
    "从我的",
];

/// A reply's own words (see the module's documentation).
pub fn own_words(text: &str) -> String {
    words(text, true)
}

/// A new message's words: all of it but the signature.
pub fn new_message_words(text: &str) -> String {
    words(text, false)
}

fn words(text: &str, reply: bool) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        // An attribution may be wrapped onto two lines ("On …, Ana <ana@…>" / "wrote:").
        let wrapped = ATTRIBUTIONS.iter().any(|(_, end)| next == *end)
            && is_attribution(&format!("{trimmed} {next}"));
        let header_block = starts_with_any(trimmed, HEADER_FROM)
            && lines[i + 1..]
                .iter()
                .take(3)
                .filter(|l| starts_with_any(l.trim(), HEADER_NEXT))
                .count()
                >= 2;
        let quotation =
            is_attribution(trimmed) || wrapped || is_original_message_rule(trimmed) || header_block;
        let signature =
            *line == "-- " || (line.trim_end() == "--" && lines.len() - i <= SIGNATURE_LINES);
        if signature || (reply && quotation) {
            end = i;
            break;
        }
    }
    let kept_lines = &lines[..end];
    let mut kept: Vec<&str> = kept_lines
        .iter()
        .enumerate()
        .filter(|(i, line)| !(reply && in_quote_run(kept_lines, *i, line)))
        .map(|(_, line)| *line)
        .collect();
    // A phone's signature among the last lines.
    while let Some(last) = kept.last() {
        let lower = last.trim().to_lowercase();
        if lower.is_empty() || SENT_FROM.iter().any(|s| lower.starts_with(s)) {
            kept.pop();
        } else {
            break;
        }
    }
    let words = kept.join("\n").trim().to_string();
    if words.is_empty() {
        text.trim().to_string()
    } else {
        words
    }
}

/// Whether line `i` is a `>` line next to another (a quoted run; a lone "> 2 hours late" is
/// the customer's own).
fn in_quote_run(lines: &[&str], i: usize, line: &str) -> bool {
    let quoted = |l: &str| l.trim_start().starts_with('>');
    quoted(line) && ((i > 0 && quoted(lines[i - 1])) || lines.get(i + 1).is_some_and(|l| quoted(l)))
}

fn is_attribution(line: &str) -> bool {
    ATTRIBUTIONS.iter().any(|(start, end)| {
        line.ends_with(end)
            && line.starts_with(start)
            && line.chars().count() > end.chars().count() + 2
    })
}

fn is_original_message_rule(line: &str) -> bool {
    let inner = line.trim_matches(|c: char| c == '-' || c == '_' || c == '=' || c.is_whitespace());
    line.starts_with("--") && ORIGINAL_MESSAGE.contains(&inner.to_lowercase().as_str())
}

fn starts_with_any(line: &str, starts: &[&str]) -> bool {
    starts.iter().any(|s| line.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::own_words;

    /// (what arrives, what is kept), in the four languages customers write in.
    const CASES: &[(&str, &str)] = &[
        (
            "Thanks, that helps.\n\nOn Mon, 2 Mar 2026 at 10:00, Complaints <complaints@redress.example> wrote:\n> We are sorry.\n> Your complaint RDR-7KX4-9PQM",
            "Thanks, that helps.",
        ),
        (
            "The parcel came today.\n\nOn Mon, 2 Mar 2026 at 10:00, Complaints <complaints@redress.example>\nwrote:\n> We are sorry.",
            "The parcel came today.",
        ),
        (
            "Gracias, ya llegó el reembolso.\n\nEl lun, 2 mar 2026 a las 10:00, Reclamaciones <complaints@redress.example> escribió:\n> Lamentamos...",
            "Gracias, ya llegó el reembolso.",
        ),
        (
            "Mulțumesc, am primit banii.\n\nPe lun., 2 mar. 2026 la 10:00, Reclamații <complaints@redress.example> a scris:\n> Ne pare rău.",
            "Mulțumesc, am primit banii.",
        ),
        (
            "退款已经收到了，谢谢。\n\nComplaints <complaints@redress.example> 于2026年3月2日周一 10:00写道：\n> 我们很抱歉。",
            "退款已经收到了，谢谢。",
        ),
        (
            "Still waiting.\n\n-----Original Message-----\nFrom: Complaints\nSent: Monday\nSubject: RDR-7KX4-9PQM",
            "Still waiting.",
        ),
        (
            "Sigo esperando.\n\n-----Mensaje original-----\nDe: Reclamaciones\nEnviado: lunes",
            "Sigo esperando.",
        ),
        (
            "Încă aștept.\n\nDe la: Reclamații <complaints@redress.example>\nTrimis: luni, 2 martie 2026\nCătre: Ana",
            "Încă aștept.",
        ),
        (
            "还在等。\n\n发件人: Complaints <complaints@redress.example>\n发送时间: 2026年3月2日\n收件人: 王",
            "还在等。",
        ),
        (
            "Please call me back.\n\n-- \nAna Pop\nSales, Contoso Ltd\n+40 721 000 111",
            "Please call me back.",
        ),
        (
            "Please refund me.\n\nSent from my iPhone",
            "Please refund me.",
        ),
        (
            "Reembolso, por favor.\n\nEnviado desde mi iPhone",
            "Reembolso, por favor.",
        ),
        (
            "Yes, the 2nd.\n> When did it arrive?\n> Where?\nAnd it was broken.",
            "Yes, the 2nd.\nAnd it was broken.",
        ),
        (
            "The train was late.\n> 2 hours late\nNobody told us.",
            "The train was late.\n> 2 hours late\nNobody told us.",
        ),
        (
            "My flight:\nFrom: London Heathrow\nTo: Bucharest\nIt was cancelled.",
            "My flight:\nFrom: London Heathrow\nTo: Bucharest\nIt was cancelled.",
        ),
        (
            "Step one\n--\nStep two\nStep three\nStep four\nStep five\nStep six\nStep seven\n\
             Step eight\nStep nine\nStep ten\nStep eleven\nStep twelve\nStep thirteen",
            "Step one\n--\nStep two\nStep three\nStep four\nStep five\nStep six\nStep seven\n\
             Step eight\nStep nine\nStep ten\nStep eleven\nStep twelve\nStep thirteen",
        ),
        (
            "On second thought, I would like a refund.\nThe box was wet.",
            "On second thought, I would like a refund.\nThe box was wet.",
        ),
        (
            "> only a quotation\n> nothing else",
            "> only a quotation\n> nothing else",
        ),
    ];

    #[test]
    fn quotations_and_signatures_are_trimmed_in_every_language() {
        for (arrives, kept) in CASES {
            assert_eq!(own_words(arrives), *kept, "from {arrives:?}");
        }
    }

    #[test]
    fn a_new_message_keeps_what_it_forwards_and_loses_its_signature() {
        let forwarded = "See below: they never answered.\n\n---------- Forwarded message ---------\n\
                         From: Shop <shop@example.com>\nDate: 1 March\nSubject: Order\nTo: me\n\n\
                         Your order will arrive tomorrow.\n\n-- \nAna";
        assert_eq!(
            super::new_message_words(forwarded),
            "See below: they never answered.\n\n---------- Forwarded message ---------\n\
             From: Shop <shop@example.com>\nDate: 1 March\nSubject: Order\nTo: me\n\n\
             Your order will arrive tomorrow."
        );
    }
}
