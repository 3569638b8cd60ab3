//! Everything a key can ask the editor to do. `update` applies one action to the `App`.

/// The editor's views, in tab-bar order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Pattern,
    Arrangement,
    Instruments,
    Song,
    Mixer,
    Master,
    Help,
}

impl View {
    pub const ALL: [View; 7] = [
        View::Pattern,
        View::Arrangement,
        View::Instruments,
        View::Song,
        View::Mixer,
        View::Master,
        View::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Pattern => "Pattern",
            View::Arrangement => "Arrangement",
            View::Instruments => "Instruments",
            View::Song => "Song",
            View::Mixer => "Mixer",
            View::Master => "Master",
            View::Help => "Help",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    // Everywhere.
    Quit,
    Save,
    Undo,
    Redo,
    Show(View),
    NextView,
    PrevView,
    CommandLine,
    RenderPrompt,
    /// Playback (live audio): reserved until an output is wired in.
    PlayFromCursor,
    PlayFromStart,
    LoopPattern,
    ToggleFollow,
    ToggleEditMode,

    // Moving around (each view reads them its own way).
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,

    // Pattern editor.
    NextChannel,
    PrevChannel,
    GotoRowPrompt,
    /// A piano key: semitones above C of the current octave (0..=24).
    Note(u8),
    NoteOff,
    ClearField,
    InsertRow,
    DeleteRow,
    HexDigit(u8),
    /// A parameter command letter (`S`, `Z` or `W`) into the effect column's first digit.
    ParamCommand(char),
    OctaveUp,
    OctaveDown,
    StepUp,
    StepDown,
    InstrumentNext,
    InstrumentPrev,
    SelectUp,
    SelectDown,
    SelectLeft,
    SelectRight,
    SelectChannel,
    SelectPattern,
    ClearSelection,
    Copy,
    Cut,
    Paste,
    MixPaste,
    TransposeUp,
    TransposeDown,
    TransposeOctaveUp,
    TransposeOctaveDown,
    Interpolate,
    NewPattern,
    ClonePattern,
    RenamePattern,
    PatternLengthPrompt,
    NextPattern,
    PrevPattern,
    /// Chord entry: on/off, a shape (turns it on), the next inversion.
    ToggleChordMode,
    ChordShape(crate::song::theory::ChordShape),
    NextInversion,
    /// Automation: the list of parameters to automate; the cursor into the lane column
    /// and back; a character typed in the lane column (starts a value); a shape over the
    /// selected rows; the next curve of the segment at the cursor.
    PickParam,
    ToggleLaneColumn,
    LaneType(char),
    LaneShape(super::lanes::Shape),
    CycleCurve,

    // Arrangement.
    OrderInsert,
    OrderDelete,
    OrderDuplicate,
    OrderMoveUp,
    OrderMoveDown,
    OrderLabel,
    OrderRepeatUp,
    OrderRepeatDown,

    // Instruments and Song settings: values.
    Increase,
    Decrease,
    IncreaseCoarse,
    DecreaseCoarse,
    EditValue,
    AddSynth,
    AddSampler,
    DeleteInstrument,
    DuplicateInstrument,
    OpenSampleEditor,
    Sample(super::sample_editor::SampleAction),

    // Recording (instruments view).
    /// Open or close the input (its level meter shows while armed).
    RecordArm,
    /// Start a take (after the count-in, the pattern looping) or stop it.
    RecordTake,
    /// Count-in: off, 1 bar, 2 bars.
    RecordCountIn,

    // Mixer and Master.
    ResetValue,
    ToggleMute,
    ToggleSolo,
    /// Bypass or engage the master stage the cursor is in.
    ToggleBypass,
    NextRenderPreset,
    PrevRenderPreset,
    /// Render with the preset chosen in the Master view (asks for the file).
    RenderWithPreset,

    // Help.
    HelpSearch,
}
