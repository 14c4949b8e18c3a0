//! SIP: messages, digest authentication, the registrar, transactions, the UDP/TCP transport,
//! and the SIP side of the console. Protocol cores are sans-IO (they take messages and time,
//! return what to send); the tokio driver in [`transport`] is the only part that touches
//! sockets.

pub mod core;
pub mod devstate;
pub mod dialog;
pub mod digest;
pub mod message;
pub mod regexten;
pub mod registrar;
pub mod sdp;
pub mod settings;
pub mod show;
pub mod transaction;
pub mod transport;
pub mod validate;
