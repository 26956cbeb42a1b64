//! The new text of a reply: what the sender wrote above the quoted history and the signature.
//! Mail clients quote in a handful of shapes; the text stops at the first line that starts one:
//! - an attribution line ("On Mon, 30 Nov 2026 at 10:00, Desk <...> wrote:", which Gmail
//!   wraps onto a second line; "Le ... a écrit :", "Am ... schrieb ...:");
//! - Outlook's "-----Original Message-----", its line of underscores, or its header block
//!   ("From: ..." followed by "Sent:" or "Date:" within three lines);
//! - a quoted line ("> ...");
//! - the signature delimiter ("-- ");
//! - the desk's own marker in its notifications ("Reply above this line").
//!
//! When nothing is left (a reply written below the quote), the whole text is the new text:
//! losing what someone wrote is worse than keeping a quote.

/// The marker the desk's notifications carry above the quoted ticket.
pub const REPLY_MARKER: &str = "reply above this line";

pub fn new_text(full: &str) -> String {
    let lines: Vec<&str> = full.lines().collect();
    let end = (0..lines.len())
        .find(|&index| starts_quote(&lines, index))
        .unwrap_or(lines.len());
    let kept = lines[..end].join("\n");
    let kept = kept.trim();
    if kept.is_empty() {
        full.trim().to_owned()
    } else {
        kept.to_owned()
    }
}

fn starts_quote(lines: &[&str], index: usize) -> bool {
    let line = lines[index].trim_end();
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    if line.starts_with('>') || line == "--" || line == "-- " || lines[index] == "-- " {
        return true;
    }
    if lower.contains(REPLY_MARKER) {
        return true;
    }
    if lower.starts_with("-----") && lower.contains("original message") {
        return true;
    }
    if trimmed.len() >= 20 && trimmed.chars().all(|c| c == '_') {
        return true;
    }
    if attribution(&lower) {
        return true;
    }
    // An attribution wrapped onto the next line.
    if (lower.starts_with("on ") || lower.starts_with("le ") || lower.starts_with("am "))
        && lines
            .get(index + 1)
            .is_some_and(|next| attribution_end(&next.trim().to_lowercase()))
    {
        return true;
    }
    if lower.starts_with("from:") {
        return lines.iter().skip(index + 1).take(3).any(|next| {
            let next = next.trim().to_lowercase();
            next.starts_with("sent:") || next.starts_with("date:")
        });
    }
    false
}

fn attribution(lower: &str) -> bool {
    (lower.starts_with("on ") || lower.starts_with("le ") || lower.starts_with("am "))
        && attribution_end(lower)
}

fn attribution_end(lower: &str) -> bool {
    lower.ends_with("wrote:")
        || lower.ends_with("a écrit :")
        || lower.ends_with("a écrit:")
        || (lower.ends_with(':') && lower.contains("schrieb"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_history_and_the_signature_are_cut_off() {
        let gmail = "Thanks, that fixed it.\n\nOn Mon, Nov 30, 2026 at 10:00 AM Desk <\nsupport+t8k2m4q9@desk.example> wrote:\n> Please restart the printer.\n";
        assert_eq!(new_text(gmail), "Thanks, that fixed it.");
        let signed = "It works now.\n\n-- \nAlice\nACME Corp";
        assert_eq!(new_text(signed), "It works now.");
        let outlook = "Still broken.\n\nFrom: Desk <support@desk.example>\nSent: Monday, November 30, 2026 10:00 AM\nTo: Alice\nSubject: RE: printer\n\nPlease restart.";
        assert_eq!(new_text(outlook), "Still broken.");
        let separator = "Yes.\n________________________________\nFrom: Desk\nSent: Monday";
        assert_eq!(new_text(separator), "Yes.");
        let original = "No.\n-----Original Message-----\nFrom: Desk";
        assert_eq!(new_text(original), "No.");
        let marker = "Done!\n\n## Reply above this line ##\nYour ticket #123";
        assert_eq!(new_text(marker), "Done!");
        let french = "Merci.\n\nLe lun. 30 nov. 2026 à 10:00, Desk <support@desk.example> a écrit :\n> Bonjour";
        assert_eq!(new_text(french), "Merci.");
    }

    #[test]
    fn a_message_that_is_all_quote_keeps_everything() {
        let bottom_posted = "> Please restart it.\n\nI did, no change.";
        assert_eq!(new_text(bottom_posted), bottom_posted);
        assert_eq!(new_text("  plain text  \n\n"), "plain text");
        assert_eq!(new_text(""), "");
    }

    #[test]
    fn a_from_line_in_the_text_alone_is_kept() {
        let text = "From: my point of view, the fix works.\nRegards";
        assert_eq!(new_text(text), text);
    }
}
