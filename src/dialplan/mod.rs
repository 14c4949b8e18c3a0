//! The dialplan: the compiled index the engine runs ([`index`]), pattern matching, time
//! windows, expressions (`$[...]`) and the `dialplan show` view.

pub mod expr;
pub mod index;
pub mod pattern;
pub mod show;
pub mod timing;
