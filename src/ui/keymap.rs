//! The key map: one table from keys to actions, with what each does and where. The
//! editor looks keys up here and the Help view lists this same table, so it cannot go stale.

use super::action::{Action, View};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;
use std::sync::OnceLock;

/// A key with its modifiers, normalised so that the table can be matched exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        Key { code, mods }
    }
    pub const fn plain(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::NONE)
    }
    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    pub const fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }
    pub const fn alt(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::ALT)
    }
    pub const fn shift(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::SHIFT)
    }
    pub const fn ctrl_code(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::CONTROL)
    }

    /// Terminals report Shift differently for printable keys (`Z` with or without the
    /// Shift flag); this keeps the character as typed and drops the flag, except with Ctrl,
    /// where the flag is the only way to tell Ctrl+Shift+Z from Ctrl+Z.
    pub fn from_event(ev: KeyEvent) -> Key {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                if c.is_ascii_uppercase() {
                    mods |= KeyModifiers::SHIFT;
                }
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl+")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt+")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c)
                if self
                    .mods
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift+Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Esc => f.write_str("Esc"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Where a binding applies. Lookups try the most specific context first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    /// The pattern editor, any column.
    Pattern,
    /// The pattern editor with the cursor on a note column (piano keys).
    PatternNote,
    /// The pattern editor with the cursor on an instrument, volume or effect digit.
    PatternDigit,
    /// The pattern editor with the cursor in the automation lane column.
    PatternLane,
    Arrangement,
    Instruments,
    /// The sample editor, open in the Instruments view.
    SampleEditor,
    Song,
    Mixer,
    Master,
    Help,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Pattern => "Pattern editor",
            Context::PatternNote => "Pattern editor, note column",
            Context::PatternDigit => "Pattern editor, instrument/volume/effect columns",
            Context::PatternLane => "Pattern editor, automation lane column",
            Context::Arrangement => "Arrangement",
            Context::Instruments => "Instruments",
            Context::SampleEditor => "Sample editor (Instruments view, e on a sampler)",
            Context::Song => "Song settings",
            Context::Mixer => "Mixer",
            Context::Master => "Master",
            Context::Help => "Help",
        }
    }

    /// The contexts a view's keys are looked up in, most specific first.
    pub fn chain(view: View, place: PatternPlace) -> &'static [Context] {
        match (view, place) {
            (View::Pattern, PatternPlace::Note) => {
                &[Context::PatternNote, Context::Pattern, Context::Global]
            }
            (View::Pattern, PatternPlace::Digit) => {
                &[Context::PatternDigit, Context::Pattern, Context::Global]
            }
            (View::Pattern, PatternPlace::Lane) => {
                &[Context::PatternLane, Context::Pattern, Context::Global]
            }
            (View::Arrangement, _) => &[Context::Arrangement, Context::Global],
            (View::Instruments, _) => &[Context::Instruments, Context::Global],
            (View::Song, _) => &[Context::Song, Context::Global],
            (View::Mixer, _) => &[Context::Mixer, Context::Global],
            (View::Master, _) => &[Context::Master, Context::Global],
            (View::Help, _) => &[Context::Help, Context::Global],
        }
    }
}

/// Which kind of column the pattern editor's cursor is on (other views ignore it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternPlace {
    Note,
    Digit,
    Lane,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub context: Context,
    pub action: Action,
    pub description: String,
}

/// The two-row piano: the lower row plays the current octave, the upper row the next.
pub const PIANO: [(char, u8); 25] = [
    ('z', 0),
    ('s', 1),
    ('x', 2),
    ('d', 3),
    ('c', 4),
    ('v', 5),
    ('g', 6),
    ('b', 7),
    ('h', 8),
    ('n', 9),
    ('j', 10),
    ('m', 11),
    ('q', 12),
    ('2', 13),
    ('w', 14),
    ('3', 15),
    ('e', 16),
    ('r', 17),
    ('5', 18),
    ('t', 19),
    ('6', 20),
    ('y', 21),
    ('7', 22),
    ('u', 23),
    ('i', 24),
];

const NOTE_NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// The whole key map, built once.
pub fn bindings() -> &'static [Binding] {
    static MAP: OnceLock<Vec<Binding>> = OnceLock::new();
    MAP.get_or_init(build)
}

/// Where keys are looked up while the sample editor is open.
pub const SAMPLE_EDITOR_CHAIN: &[Context] = &[Context::SampleEditor, Context::Global];

/// The action a key means in this view, if any.
pub fn lookup(view: View, place: PatternPlace, key: Key) -> Option<Action> {
    lookup_in(Context::chain(view, place), key)
}

/// The action a key means in the first of `chain`'s contexts that binds it.
pub fn lookup_in(chain: &[Context], key: Key) -> Option<Action> {
    for &context in chain {
        if let Some(b) = bindings()
            .iter()
            .find(|b| b.context == context && b.keys.contains(&key))
        {
            return Some(b.action);
        }
    }
    None
}

fn build() -> Vec<Binding> {
    use Action as A;
    use Context as C;
    use KeyCode as K;
    let mut map = Vec::new();
    let mut bind = |context: Context, keys: &[Key], action: Action, description: &str| {
        map.push(Binding {
            keys: keys.to_vec(),
            context,
            action,
            description: description.to_owned(),
        });
    };

    // Everywhere.
    bind(
        C::Global,
        &[Key::plain(K::F(1))],
        A::Show(View::Help),
        "Help: every key, searchable",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(2))],
        A::Show(View::Pattern),
        "Pattern editor",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(3))],
        A::Show(View::Arrangement),
        "Arrangement (order list)",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(4))],
        A::Show(View::Instruments),
        "Instruments",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(5))],
        A::Show(View::Song),
        "Song settings",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(9))],
        A::Show(View::Mixer),
        "Mixer: strips, meters, EQ and compressor",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(10))],
        A::Show(View::Master),
        "Master: the master section and its loudness meters",
    );
    bind(
        C::Global,
        &[Key::plain(K::Tab)],
        A::NextView,
        "Next view (in the pattern editor: next channel)",
    );
    bind(
        C::Global,
        &[Key::plain(K::BackTab)],
        A::PrevView,
        "Previous view (in the pattern editor: previous channel)",
    );
    bind(
        C::Global,
        &[Key::ctrl('s')],
        A::Save,
        "Save (atomic; the previous file is kept as .bak)",
    );
    bind(
        C::Global,
        &[Key::ctrl('q')],
        A::Quit,
        "Quit (asks first when there are unsaved changes)",
    );
    bind(C::Global, &[Key::ctrl('z')], A::Undo, "Undo");
    bind(
        C::Global,
        &[
            Key::ctrl('y'),
            Key::new(K::Char('z'), KeyModifiers::CONTROL | KeyModifiers::SHIFT),
        ],
        A::Redo,
        "Redo",
    );
    bind(
        C::Global,
        &[Key::char(':')],
        A::CommandLine,
        "Command line (:w, :q, :bpm 140, :len 64 ...; Help lists them all)",
    );
    bind(
        C::Global,
        &[Key::ctrl('r')],
        A::RenderPrompt,
        "Render the song to a WAV file",
    );
    bind(
        C::Global,
        &[Key::char(' ')],
        A::PlayFromCursor,
        "Play / stop from the cursor's place in the song",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(6))],
        A::PlayFromStart,
        "Play the song from the start",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(7))],
        A::LoopPattern,
        "Loop the current pattern",
    );
    bind(
        C::Global,
        &[Key::plain(K::F(8))],
        A::ToggleFollow,
        "Follow the playhead on / off",
    );
    bind(
        C::Global,
        &[Key::ctrl('e')],
        A::ToggleEditMode,
        "Edit mode on / off (off: piano keys only play)",
    );

    // Pattern editor: moving.
    bind(C::Pattern, &[Key::plain(K::Up)], A::Up, "Cursor up a row");
    bind(
        C::Pattern,
        &[Key::plain(K::Down)],
        A::Down,
        "Cursor down a row",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::Left)],
        A::Left,
        "Cursor to the previous column",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::Right)],
        A::Right,
        "Cursor to the next column",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::PageUp)],
        A::PageUp,
        "Up one bar",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::PageDown)],
        A::PageDown,
        "Down one bar",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::Home)],
        A::Home,
        "First row (again: first channel)",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::End)],
        A::End,
        "Last row (again: last channel)",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::Tab)],
        A::NextChannel,
        "Next channel",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::BackTab)],
        A::PrevChannel,
        "Previous channel",
    );
    bind(
        C::Pattern,
        &[Key::ctrl('g')],
        A::GotoRowPrompt,
        "Go to a row",
    );
    // Pattern editor: entering.
    for &(c, semis) in &PIANO {
        let octave = if semis >= 12 {
            "next octave"
        } else {
            "this octave"
        };
        bind(
            C::PatternNote,
            &[Key::char(c)],
            A::Note(semis),
            &format!("Note {} ({octave})", NOTE_NAMES[usize::from(semis % 12)]),
        );
    }
    bind(
        C::PatternNote,
        &[Key::char('1'), Key::char('`')],
        A::NoteOff,
        "Note off (release)",
    );
    for d in 0..16u8 {
        let c = char::from_digit(u32::from(d), 16).expect("a hex digit");
        bind(
            C::PatternDigit,
            &[Key::char(c)],
            A::HexDigit(d),
            &format!(
                "Hex digit {} into the instrument, volume or effect",
                c.to_ascii_uppercase()
            ),
        );
    }
    for (letter, what) in [
        ('s', "pick the channel's parameter"),
        ('z', "set the picked parameter"),
        ('w', "glide the picked parameter"),
    ] {
        bind(
            C::PatternDigit,
            &[Key::char(letter)],
            A::ParamCommand(letter.to_ascii_uppercase()),
            &format!(
                "Effect command {} ({what}) in the effect column",
                letter.to_ascii_uppercase()
            ),
        );
    }
    bind(
        C::Pattern,
        &[Key::plain(K::Delete), Key::char('.')],
        A::ClearField,
        "Clear the field under the cursor (note: the whole note)",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::Insert)],
        A::InsertRow,
        "Insert a row in the channel (the rest moves down)",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::Backspace)],
        A::DeleteRow,
        "Delete the row at the cursor (the rest moves up)",
    );
    bind(C::Pattern, &[Key::char(']')], A::OctaveUp, "Octave up");
    bind(C::Pattern, &[Key::char('[')], A::OctaveDown, "Octave down");
    bind(
        C::Pattern,
        &[Key::char('}')],
        A::StepUp,
        "Edit step up (rows the cursor moves after an entry)",
    );
    bind(C::Pattern, &[Key::char('{')], A::StepDown, "Edit step down");
    bind(
        C::Pattern,
        &[Key::char('='), Key::char('+')],
        A::InstrumentNext,
        "Next instrument for entry",
    );
    bind(
        C::Pattern,
        &[Key::char('-')],
        A::InstrumentPrev,
        "Previous instrument for entry",
    );
    // Pattern editor: blocks.
    bind(
        C::Pattern,
        &[Key::shift(K::Up)],
        A::SelectUp,
        "Extend the selection up",
    );
    bind(
        C::Pattern,
        &[Key::shift(K::Down)],
        A::SelectDown,
        "Extend the selection down",
    );
    bind(
        C::Pattern,
        &[Key::shift(K::Left)],
        A::SelectLeft,
        "Extend the selection a channel left",
    );
    bind(
        C::Pattern,
        &[Key::shift(K::Right)],
        A::SelectRight,
        "Extend the selection a channel right",
    );
    bind(
        C::Pattern,
        &[Key::ctrl('l')],
        A::SelectChannel,
        "Select the whole channel",
    );
    bind(
        C::Pattern,
        &[Key::ctrl('a')],
        A::SelectPattern,
        "Select the whole pattern",
    );
    bind(
        C::Pattern,
        &[Key::plain(K::Esc)],
        A::ClearSelection,
        "Clear the selection",
    );
    bind(
        C::Pattern,
        &[Key::ctrl('c')],
        A::Copy,
        "Copy the selection (or the cell)",
    );
    bind(
        C::Pattern,
        &[Key::ctrl('x')],
        A::Cut,
        "Cut the selection (or the cell)",
    );
    bind(
        C::Pattern,
        &[Key::ctrl('v')],
        A::Paste,
        "Paste at the cursor",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::Char('v'))],
        A::MixPaste,
        "Mix-paste: empty fields keep what is under them",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::Up)],
        A::TransposeUp,
        "Transpose the selection (or the note) up a semitone",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::Down)],
        A::TransposeDown,
        "Transpose down a semitone",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::PageUp)],
        A::TransposeOctaveUp,
        "Transpose up an octave",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::PageDown)],
        A::TransposeOctaveDown,
        "Transpose down an octave",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::Char('i'))],
        A::Interpolate,
        "Interpolate volumes (cursor on volume) or effect values (on effect) across the selection",
    );
    // Pattern editor: chord entry.
    bind(
        C::Pattern,
        &[Key::alt(K::Char('c'))],
        A::ToggleChordMode,
        "Chord entry on / off: a piano key writes a chord on the note's scale degree, this channel and those to its right",
    );
    for (i, shape) in crate::song::theory::ChordShape::ALL.into_iter().enumerate() {
        let digit = char::from_digit(i as u32 + 1, 10).expect("five shapes");
        bind(
            C::Pattern,
            &[Key::alt(K::Char(digit))],
            A::ChordShape(shape),
            &format!("Chord entry with {} chords", shape.name()),
        );
    }
    bind(
        C::Pattern,
        &[Key::alt(K::Char('0'))],
        A::NextInversion,
        "Chord entry: next inversion (root position, 1st, 2nd, 3rd ...)",
    );
    // Pattern editor: automation lanes.
    bind(
        C::Pattern,
        &[Key::alt(K::Char('a'))],
        A::PickParam,
        "Automate: pick a parameter of the channel (its instrument, strip, the buses, the master) from a list; its lane shows beside the grid",
    );
    bind(
        C::Pattern,
        &[Key::char('\\')],
        A::ToggleLaneColumn,
        "Cursor into the automation lane column and back (Right from the last channel goes there too)",
    );
    for c in ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-'] {
        bind(
            C::PatternLane,
            &[Key::char(c)],
            A::LaneType(c),
            &format!(
                "Lane column: type a value starting with {c} for the point at the cursor row (Enter sets it)"
            ),
        );
    }
    bind(
        C::PatternLane,
        &[Key::plain(K::Enter)],
        A::EditValue,
        "Lane column: type the value of the point at the cursor row",
    );
    bind(
        C::PatternLane,
        &[Key::alt(K::Up)],
        A::Increase,
        "Lane column: raise the value at the cursor row (fine: 1/100 of the range)",
    );
    bind(
        C::PatternLane,
        &[Key::alt(K::Down)],
        A::Decrease,
        "Lane column: lower the value at the cursor row (fine)",
    );
    bind(
        C::PatternLane,
        &[Key::alt(K::PageUp)],
        A::IncreaseCoarse,
        "Lane column: raise the value at the cursor row (coarse: 1/10 of the range)",
    );
    bind(
        C::PatternLane,
        &[Key::alt(K::PageDown)],
        A::DecreaseCoarse,
        "Lane column: lower the value at the cursor row (coarse)",
    );
    bind(
        C::PatternLane,
        &[Key::plain(K::Delete), Key::char('.')],
        A::ClearField,
        "Lane column: delete the point at the cursor row",
    );
    bind(
        C::PatternLane,
        &[Key::alt(K::Char('i'))],
        A::Interpolate,
        "Lane column: a point on every selected row, on the line between the values at the selection's ends",
    );
    for shape in super::lanes::Shape::ALL {
        bind(
            C::PatternLane,
            &[Key::char(shape.key())],
            A::LaneShape(shape),
            &format!(
                "Lane column: shape the selected rows (or the pattern): {}",
                shape.description()
            ),
        );
    }
    bind(
        C::PatternLane,
        &[Key::char('c')],
        A::CycleCurve,
        "Lane column: next curve of the segment at the cursor (step, lin, exp, smooth)",
    );
    // Pattern editor: patterns.
    bind(
        C::Pattern,
        &[Key::ctrl('n')],
        A::NewPattern,
        "New empty pattern",
    );
    bind(
        C::Pattern,
        &[Key::ctrl('d')],
        A::ClonePattern,
        "Clone this pattern",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::Char('r'))],
        A::RenamePattern,
        "Rename this pattern",
    );
    bind(
        C::Pattern,
        &[Key::alt(K::Char('l'))],
        A::PatternLengthPrompt,
        "Change this pattern's length",
    );
    bind(
        C::Pattern,
        &[Key::char('>'), Key::ctrl_code(K::Right)],
        A::NextPattern,
        "Next pattern",
    );
    bind(
        C::Pattern,
        &[Key::char('<'), Key::ctrl_code(K::Left)],
        A::PrevPattern,
        "Previous pattern",
    );

    // Arrangement.
    bind(
        C::Arrangement,
        &[Key::plain(K::Up)],
        A::Up,
        "Previous entry",
    );
    bind(
        C::Arrangement,
        &[Key::plain(K::Down)],
        A::Down,
        "Next entry",
    );
    bind(
        C::Arrangement,
        &[Key::plain(K::Home)],
        A::Home,
        "First entry",
    );
    bind(C::Arrangement, &[Key::plain(K::End)], A::End, "Last entry");
    bind(
        C::Arrangement,
        &[Key::plain(K::Enter)],
        A::Enter,
        "Open the entry's pattern in the editor",
    );
    bind(
        C::Arrangement,
        &[Key::plain(K::Insert), Key::char('i')],
        A::OrderInsert,
        "Insert an entry (same pattern) after this one",
    );
    bind(
        C::Arrangement,
        &[Key::plain(K::Delete), Key::char('x')],
        A::OrderDelete,
        "Delete the entry",
    );
    bind(
        C::Arrangement,
        &[Key::char('d')],
        A::OrderDuplicate,
        "Duplicate the entry",
    );
    bind(
        C::Arrangement,
        &[Key::shift(K::Up), Key::alt(K::Up)],
        A::OrderMoveUp,
        "Move the entry up",
    );
    bind(
        C::Arrangement,
        &[Key::shift(K::Down), Key::alt(K::Down)],
        A::OrderMoveDown,
        "Move the entry down",
    );
    bind(
        C::Arrangement,
        &[Key::plain(K::Right)],
        A::Increase,
        "Next pattern for the entry",
    );
    bind(
        C::Arrangement,
        &[Key::plain(K::Left)],
        A::Decrease,
        "Previous pattern for the entry",
    );
    bind(
        C::Arrangement,
        &[Key::char('s'), Key::char('l')],
        A::OrderLabel,
        "Set the section label (intro, verse, drop...)",
    );
    bind(
        C::Arrangement,
        &[Key::char('='), Key::char('+')],
        A::OrderRepeatUp,
        "One more repeat",
    );
    bind(
        C::Arrangement,
        &[Key::char('-')],
        A::OrderRepeatDown,
        "One repeat fewer",
    );

    // Instruments.
    bind(
        C::Instruments,
        &[Key::plain(K::PageUp), Key::char('<')],
        A::PageUp,
        "Previous instrument",
    );
    bind(
        C::Instruments,
        &[Key::plain(K::PageDown), Key::char('>')],
        A::PageDown,
        "Next instrument",
    );
    bind(
        C::Instruments,
        &[Key::plain(K::Up)],
        A::Up,
        "Previous parameter",
    );
    bind(
        C::Instruments,
        &[Key::plain(K::Down)],
        A::Down,
        "Next parameter",
    );
    bind(
        C::Instruments,
        &[Key::plain(K::Right)],
        A::Increase,
        "Increase the value (fine)",
    );
    bind(
        C::Instruments,
        &[Key::plain(K::Left)],
        A::Decrease,
        "Decrease the value (fine)",
    );
    bind(
        C::Instruments,
        &[Key::shift(K::Right), Key::char(']')],
        A::IncreaseCoarse,
        "Increase the value (coarse)",
    );
    bind(
        C::Instruments,
        &[Key::shift(K::Left), Key::char('[')],
        A::DecreaseCoarse,
        "Decrease the value (coarse)",
    );
    bind(
        C::Instruments,
        &[Key::plain(K::Enter)],
        A::EditValue,
        "Type a value",
    );
    bind(
        C::Instruments,
        &[Key::char('a')],
        A::AddSynth,
        "Add a synth instrument",
    );
    bind(
        C::Instruments,
        &[Key::char('w')],
        A::AddSampler,
        "Add a sampler instrument (asks for the WAV file)",
    );
    bind(
        C::Instruments,
        &[Key::char('d')],
        A::DuplicateInstrument,
        "Duplicate the instrument",
    );
    bind(
        C::Instruments,
        &[Key::plain(K::Delete), Key::char('x')],
        A::DeleteInstrument,
        "Delete the instrument (its notes lose their instrument)",
    );
    bind(
        C::Instruments,
        &[Key::alt(K::Char('r'))],
        A::RecordArm,
        "Arm recording: open the audio input and show its level (again: close it)",
    );
    bind(
        C::Instruments,
        &[Key::alt(K::Char('t'))],
        A::RecordTake,
        "Record a take while the pattern loops (again: stop; it becomes a sampler)",
    );
    bind(
        C::Instruments,
        &[Key::alt(K::Char('c'))],
        A::RecordCountIn,
        "Count-in before a take: off, 1 bar, 2 bars",
    );
    bind(
        C::Instruments,
        &[Key::char('e')],
        A::OpenSampleEditor,
        "Edit the sample (sampler): waveform, trim, normalise, fades, loop by ear, slices",
    );

    // Sample editor.
    {
        use super::sample_editor::SampleAction as S;
        let mut sample = |keys: &[Key], action: S, description: &str| {
            bind(C::SampleEditor, keys, A::Sample(action), description)
        };
        sample(
            &[Key::plain(K::Esc), Key::char('e')],
            S::Close,
            "Close the sample editor (stops the sample)",
        );
        sample(
            &[Key::plain(K::Left)],
            S::Move {
                right: false,
                coarse: false,
            },
            "Move the marker left a column",
        );
        sample(
            &[Key::plain(K::Right)],
            S::Move {
                right: true,
                coarse: false,
            },
            "Move the marker right a column",
        );
        sample(
            &[Key::shift(K::Left), Key::char('[')],
            S::Move {
                right: false,
                coarse: true,
            },
            "Move the marker left ten columns",
        );
        sample(
            &[Key::shift(K::Right), Key::char(']')],
            S::Move {
                right: true,
                coarse: true,
            },
            "Move the marker right ten columns",
        );
        sample(
            &[Key::plain(K::Home)],
            S::MoveToEnd { end: false },
            "Marker to the sample's start",
        );
        sample(
            &[Key::plain(K::End)],
            S::MoveToEnd { end: true },
            "Marker to the sample's end",
        );
        sample(
            &[Key::plain(K::Tab)],
            S::NextMarker,
            "Next marker: selection start, selection end, loop start, loop end",
        );
        sample(&[Key::plain(K::BackTab)], S::PrevMarker, "Previous marker");
        sample(&[Key::char('a')], S::SelectAll, "Select the whole sample");
        sample(
            &[Key::char('='), Key::char('+')],
            S::ZoomIn,
            "Zoom in (around the marker)",
        );
        sample(&[Key::char('-')], S::ZoomOut, "Zoom out");
        sample(
            &[Key::char('t')],
            S::Trim,
            "Trim the sample to the selection",
        );
        sample(
            &[Key::char('n')],
            S::Normalise,
            "Normalise the selection to a peak level (asks the dBFS)",
        );
        sample(
            &[Key::char('i')],
            S::FadeIn,
            "Fade in over the selection, with the fade curve",
        );
        sample(
            &[Key::char('o')],
            S::FadeOut,
            "Fade out over the selection, with the fade curve",
        );
        sample(
            &[Key::char('c')],
            S::NextCurve,
            "Next fade curve: linear, equal power, exponential, s-curve",
        );
        sample(
            &[Key::char('r')],
            S::Reverse,
            "Reverse the selection (all selected: the whole sample)",
        );
        sample(
            &[Key::char('g')],
            S::Gain,
            "Gain on the selection (asks the dB)",
        );
        sample(
            &[Key::char('l')],
            S::LoopSelection,
            "Loop the selection (then Tab to the loop points to move them)",
        );
        sample(&[Key::char('L')], S::LoopOff, "Loop off");
        sample(
            &[Key::char('z')],
            S::ToggleSnap,
            "Loop points snap to rising zero crossings (no click) on / off",
        );
        sample(
            &[Key::char(' '), Key::char('p')],
            S::Audition,
            "Play / stop the sample, looping, while you move the loop points",
        );
        sample(
            &[Key::char('s')],
            S::SliceEqual,
            "Slice the selection into equal parts, each a new instrument (asks how many)",
        );
        sample(
            &[Key::char('S')],
            S::SliceTransients,
            "Slice the selection at its transients into new instruments (asks the threshold)",
        );
    }

    // Song.
    bind(C::Song, &[Key::plain(K::Up)], A::Up, "Previous setting");
    bind(C::Song, &[Key::plain(K::Down)], A::Down, "Next setting");
    bind(
        C::Song,
        &[Key::plain(K::Right)],
        A::Increase,
        "Increase (fine)",
    );
    bind(
        C::Song,
        &[Key::plain(K::Left)],
        A::Decrease,
        "Decrease (fine)",
    );
    bind(
        C::Song,
        &[Key::shift(K::Right), Key::char(']')],
        A::IncreaseCoarse,
        "Increase (coarse)",
    );
    bind(
        C::Song,
        &[Key::shift(K::Left), Key::char('[')],
        A::DecreaseCoarse,
        "Decrease (coarse)",
    );
    bind(
        C::Song,
        &[Key::plain(K::Enter)],
        A::EditValue,
        "Type a value",
    );

    // Mixer.
    bind(
        C::Mixer,
        &[Key::plain(K::Left)],
        A::Left,
        "Previous strip (channels, then the reverb and delay returns)",
    );
    bind(C::Mixer, &[Key::plain(K::Right)], A::Right, "Next strip");
    bind(C::Mixer, &[Key::plain(K::Home)], A::Home, "First strip");
    bind(
        C::Mixer,
        &[Key::plain(K::End)],
        A::End,
        "Last strip (the delay return)",
    );
    bind(C::Mixer, &[Key::plain(K::Up)], A::Up, "Previous parameter");
    bind(C::Mixer, &[Key::plain(K::Down)], A::Down, "Next parameter");
    bind(
        C::Mixer,
        &[Key::plain(K::PageUp)],
        A::PageUp,
        "Previous group (fader, EQ, high-pass/input/sends, compressor)",
    );
    bind(
        C::Mixer,
        &[Key::plain(K::PageDown)],
        A::PageDown,
        "Next group of parameters",
    );
    bind(
        C::Mixer,
        &[Key::char('='), Key::char('+'), Key::shift(K::Up)],
        A::Increase,
        "Increase the value (fine; on/off values toggle)",
    );
    bind(
        C::Mixer,
        &[Key::char('-'), Key::shift(K::Down)],
        A::Decrease,
        "Decrease the value (fine)",
    );
    bind(
        C::Mixer,
        &[Key::char(']'), Key::shift(K::Right)],
        A::IncreaseCoarse,
        "Increase the value (coarse)",
    );
    bind(
        C::Mixer,
        &[Key::char('['), Key::shift(K::Left)],
        A::DecreaseCoarse,
        "Decrease the value (coarse)",
    );
    bind(
        C::Mixer,
        &[Key::plain(K::Enter)],
        A::EditValue,
        "Type a value (dB, Hz with k, L50/C/R50, on/off, 1/8. or 350ms)",
    );
    bind(
        C::Mixer,
        &[Key::plain(K::Delete), Key::plain(K::Backspace)],
        A::ResetValue,
        "Reset the value to its default",
    );
    bind(
        C::Mixer,
        &[Key::char('m')],
        A::ToggleMute,
        "Mute the strip on / off",
    );
    bind(
        C::Mixer,
        &[Key::char('s')],
        A::ToggleSolo,
        "Solo the channel on / off",
    );

    // Master.
    bind(C::Master, &[Key::plain(K::Up)], A::Up, "Previous setting");
    bind(C::Master, &[Key::plain(K::Down)], A::Down, "Next setting");
    bind(
        C::Master,
        &[Key::plain(K::PageUp)],
        A::PageUp,
        "Previous stage (gain, EQ, compressor, width, limiter, loudness)",
    );
    bind(
        C::Master,
        &[Key::plain(K::PageDown)],
        A::PageDown,
        "Next stage",
    );
    bind(C::Master, &[Key::plain(K::Home)], A::Home, "First setting");
    bind(C::Master, &[Key::plain(K::End)], A::End, "Last setting");
    bind(
        C::Master,
        &[Key::char('b')],
        A::ToggleBypass,
        "Bypass or engage the stage the cursor is in",
    );
    bind(
        C::Master,
        &[Key::char('p')],
        A::NextRenderPreset,
        "Next render preset (the song's own, streaming, club, broadcast, podcast, none)",
    );
    bind(
        C::Master,
        &[Key::char('P')],
        A::PrevRenderPreset,
        "Previous render preset",
    );
    bind(
        C::Master,
        &[Key::char('r')],
        A::RenderWithPreset,
        "Render to WAV with the chosen preset; the loudness report shows here",
    );
    bind(
        C::Master,
        &[Key::char('='), Key::char('+'), Key::shift(K::Up)],
        A::Increase,
        "Increase the value (fine)",
    );
    bind(
        C::Master,
        &[Key::char('-'), Key::shift(K::Down)],
        A::Decrease,
        "Decrease the value (fine)",
    );
    bind(
        C::Master,
        &[Key::char(']'), Key::shift(K::Right)],
        A::IncreaseCoarse,
        "Increase the value (coarse)",
    );
    bind(
        C::Master,
        &[Key::char('['), Key::shift(K::Left)],
        A::DecreaseCoarse,
        "Decrease the value (coarse)",
    );
    bind(
        C::Master,
        &[Key::plain(K::Enter)],
        A::EditValue,
        "Type a value",
    );
    bind(
        C::Master,
        &[Key::plain(K::Delete), Key::plain(K::Backspace)],
        A::ResetValue,
        "Reset the value to its default",
    );

    // Help.
    bind(
        C::Help,
        &[Key::char('/')],
        A::HelpSearch,
        "Search the key list (Enter keeps the filter, Esc clears it)",
    );
    bind(C::Help, &[Key::plain(K::Up)], A::Up, "Scroll up");
    bind(C::Help, &[Key::plain(K::Down)], A::Down, "Scroll down");
    bind(
        C::Help,
        &[Key::plain(K::PageUp)],
        A::PageUp,
        "Scroll up a page",
    );
    bind(
        C::Help,
        &[Key::plain(K::PageDown)],
        A::PageDown,
        "Scroll down a page",
    );
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_key_means_two_things_in_one_context() {
        let mut seen = HashSet::new();
        for b in bindings() {
            for k in &b.keys {
                assert!(
                    seen.insert((b.context, *k)),
                    "{k} is bound twice in {:?}",
                    b.context
                );
            }
        }
    }

    #[test]
    fn shifted_letters_and_ctrl_shift_are_normalised() {
        let ev = KeyEvent::new(
            KeyCode::Char('Z'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(
            lookup(View::Pattern, PatternPlace::Note, Key::from_event(ev)),
            Some(Action::Redo)
        );
        let ev = KeyEvent::new(KeyCode::Char('>'), KeyModifiers::SHIFT);
        assert_eq!(
            lookup(View::Pattern, PatternPlace::Note, Key::from_event(ev)),
            Some(Action::NextPattern)
        );
        assert_eq!(Key::ctrl('s').to_string(), "Ctrl+S");
    }

    #[test]
    fn tab_moves_channels_in_the_pattern_editor_and_views_elsewhere() {
        let tab = Key::plain(KeyCode::Tab);
        assert_eq!(
            lookup(View::Pattern, PatternPlace::Note, tab),
            Some(Action::NextChannel)
        );
        assert_eq!(
            lookup(View::Song, PatternPlace::Digit, tab),
            Some(Action::NextView)
        );
        assert_eq!(
            lookup(View::Pattern, PatternPlace::Note, Key::char('q')),
            Some(Action::Note(12))
        );
        assert_eq!(
            lookup(View::Pattern, PatternPlace::Digit, Key::char('e')),
            Some(Action::HexDigit(14))
        );
    }
}
