//! The key bindings as the on-screen help lists them (the controls handle them, the
//! overlay shows them).

/// The keys, as the on-screen help lists them.
pub const HELP: &str = "\
space  play / pause
. or N single step
R      reset (next seed)
[ ]    speed down / up
C      back to the env camera
F      follow the next body
V      start / stop recording a GIF
H      hide / show this help
Esc    quit
drag   left: orbit, right: pan
wheel  zoom";

/// The click, outside a comparison.
pub const HELP_PICK: &str = "click  inspect a body (sky: none)";

/// Extra keys in a comparison.
pub const HELP_COMPARE: &str = "\
1-9 or click  rank the viewport next
Backspace     take back the last rank
Enter         submit the ranking";
