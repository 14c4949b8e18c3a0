//! Property tests: the SIP parser never panics, whatever arrives, and what it parses it
//! writes back to the same message.

use proptest::prelude::*;
use zvezda::sip::message::{Message, Uri};

const REG: &str = "REGISTER sip:127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5182;branch=z9hG4bK-1;rport\r\nFrom: <sip:1001@127.0.0.1>;tag=a\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:5182>\r\nContent-Length: 0\r\n\r\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Message::parse(&b, false);
        let _ = Message::parse(&b, true);
        let _ = Uri::parse(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn mutated_messages_never_panic(pos in 0usize..REG.len(), len in 0usize..40, junk in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut b = REG.as_bytes().to_vec();
        let end = (pos + len).min(b.len());
        b.splice(pos..end, junk);
        if let Ok((m, _)) = Message::parse(&b, false) {
            // Whatever parses survives a round trip through our writer.
            let again = Message::parse(&m.to_bytes(), false);
            prop_assert!(again.is_ok());
        }
    }
}
