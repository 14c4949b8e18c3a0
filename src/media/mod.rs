//! Media building blocks (issue 5), sans-IO: codecs, RTP/RTCP state, DTMF, tones, sound files,
//! crash-safe recordings and the Say* file lists. Nothing here opens a socket or spawns a task;
//! the call layer feeds bytes and clock readings in and takes bytes and events out.

pub mod dtmf;
pub mod file;
pub mod g711;
pub mod rtp;
pub mod say;
pub mod sound;
pub mod tones;
