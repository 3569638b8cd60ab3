//! Help: every key binding, listed from the key map the editor itself uses, and every
//! command of the command line, filtered by a search.

use super::app::App;
use super::command::COMMANDS;
use super::keymap::{Context, bindings};
use super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

const CONTEXTS: [Context; 12] = [
    Context::Global,
    Context::Pattern,
    Context::PatternNote,
    Context::PatternDigit,
    Context::PatternLane,
    Context::Arrangement,
    Context::Instruments,
    Context::SampleEditor,
    Context::Song,
    Context::Mixer,
    Context::Master,
    Context::Help,
];

/// One line of help: the section it belongs to, the keys, what they do.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub section: &'static str,
    pub keys: String,
    pub description: String,
}

/// Every entry whose section, keys or description holds `filter` (any case).
pub fn entries(filter: &str) -> Vec<Entry> {
    let mut all = Vec::new();
    for context in CONTEXTS {
        for b in bindings().iter().filter(|b| b.context == context) {
            let keys: Vec<String> = b.keys.iter().map(ToString::to_string).collect();
            all.push(Entry {
                section: context.title(),
                keys: keys.join(" "),
                description: b.description.clone(),
            });
        }
    }
    for (keys, description) in [
        ("Enter", "Accept what was typed"),
        ("Esc", "Cancel"),
        ("Backspace", "Delete the last character"),
    ] {
        all.push(Entry {
            section: "Typing a value, a path or a command",
            keys: keys.to_owned(),
            description: description.to_owned(),
        });
    }
    for (keys, description) in [
        (
            "letters",
            "Filter: keep the parameters whose names hold every typed word",
        ),
        ("Up Down PgUp PgDn", "Move through the list"),
        (
            "Enter",
            "Pick: show its lane (made if new), the cursor in the lane column",
        ),
        ("Esc", "Close the list, nothing picked"),
    ] {
        all.push(Entry {
            section: "Parameter list (Alt+A in the pattern editor)",
            keys: keys.to_owned(),
            description: description.to_owned(),
        });
    }
    for c in COMMANDS {
        all.push(Entry {
            section: "Commands (type : first)",
            keys: format!(
                ":{}{}{}",
                c.name,
                if c.args.is_empty() { "" } else { " " },
                c.args
            ),
            description: c.description.to_owned(),
        });
    }
    let needle = filter.to_lowercase();
    all.retain(|e| {
        needle.is_empty()
            || e.section.to_lowercase().contains(&needle)
            || e.keys.to_lowercase().contains(&needle)
            || e.description.to_lowercase().contains(&needle)
    });
    all
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let found = entries(&app.help_filter);
    let mut lines = Vec::new();
    let mut section = "";
    for e in &found {
        if e.section != section {
            section = e.section;
            lines.push(Line::styled(section.to_owned(), theme::TITLE));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<22}", e.keys), theme::HEADER),
            Span::raw(e.description.clone()),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::raw(format!(
            "nothing matches \"{}\"",
            app.help_filter
        )));
    }
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let scroll = app.help_scroll.min(lines.len().saturating_sub(visible));
    let title = if app.help_filter.is_empty() {
        " help: type to search, Up/Down/PgUp/PgDn scroll ".to_owned()
    } else {
        format!(
            " help: \"{}\" ({} found; Esc clears) ",
            app.help_filter,
            found.len()
        )
    };
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}

/// The short key table of the README, made from the key map so it cannot go stale
/// (a test checks that the README holds exactly this).
pub fn readme_table() -> String {
    use super::action::{Action as A, View};
    use super::keymap::PIANO;
    const SHORT: [(Context, A); 38] = [
        (Context::Global, A::Show(View::Help)),
        (Context::Global, A::Save),
        (Context::Global, A::Quit),
        (Context::Global, A::Undo),
        (Context::Global, A::Redo),
        (Context::Global, A::CommandLine),
        (Context::Global, A::RenderPrompt),
        (Context::Global, A::ToggleEditMode),
        (Context::Global, A::PlayFromCursor),
        (Context::PatternNote, A::NoteOff),
        (Context::Pattern, A::OctaveDown),
        (Context::Pattern, A::OctaveUp),
        (Context::Pattern, A::StepUp),
        (Context::Pattern, A::InstrumentNext),
        (Context::Pattern, A::PageDown),
        (Context::Pattern, A::GotoRowPrompt),
        (Context::Pattern, A::ClearField),
        (Context::Pattern, A::InsertRow),
        (Context::Pattern, A::DeleteRow),
        (Context::Pattern, A::SelectDown),
        (Context::Pattern, A::SelectChannel),
        (Context::Pattern, A::Copy),
        (Context::Pattern, A::Paste),
        (Context::Pattern, A::MixPaste),
        (Context::Pattern, A::TransposeUp),
        (Context::Pattern, A::TransposeOctaveUp),
        (Context::Pattern, A::Interpolate),
        (Context::Pattern, A::NewPattern),
        (Context::Pattern, A::ClonePattern),
        (Context::Pattern, A::NextPattern),
        (Context::Pattern, A::ToggleChordMode),
        (Context::Pattern, A::PickParam),
        (Context::Pattern, A::ToggleLaneColumn),
        (Context::PatternLane, A::EditValue),
        (Context::PatternLane, A::Increase),
        (Context::PatternLane, A::IncreaseCoarse),
        (Context::PatternLane, A::ClearField),
        (Context::PatternLane, A::CycleCurve),
    ];
    let piano: Vec<String> = PIANO
        .iter()
        .map(|(c, _)| c.to_ascii_uppercase().to_string())
        .collect();
    let mut out = String::from("| keys | what they do |\n|---|---|\n");
    out.push_str(&format!(
        "| `{}` / `{}` | notes: this octave / the next (pattern editor, note column) |\n",
        piano[..12].join(" "),
        piano[12..].join(" ")
    ));
    out.push_str("| `0`-`9` `A`-`F` | hex digits in the instrument, volume and effect columns |\n");
    let row = |context: Context, action: A| {
        let b = bindings()
            .iter()
            .find(|b| b.context == context && b.action == action)
            .expect("every short-table action is bound");
        let keys: Vec<String> = b
            .keys
            .iter()
            .map(|k| match k.to_string().as_str() {
                "`" => "`` ` ``".to_owned(),
                text => format!("`{text}`"),
            })
            .collect();
        format!("| {} | {} |\n", keys.join(" "), b.description)
    };
    for (context, action) in SHORT {
        out.push_str(&row(context, action));
    }
    let shapes: Vec<String> = super::lanes::Shape::ALL
        .iter()
        .map(|s| format!("`{}` {}", s.key(), s.name()))
        .collect();
    out.push_str(&format!(
        "| {} | Lane column: shapes over the selected rows (or the pattern) |\n",
        shapes.join(", ")
    ));
    out.push_str(&row(Context::Instruments, A::OpenSampleEditor));
    out
}
