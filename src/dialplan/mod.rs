//! The dialplan: pattern matching and the `dialplan show` view. The engine that runs it on a
//! channel comes with the dialplan issue.

pub mod expr;
pub mod pattern;
pub mod show;
