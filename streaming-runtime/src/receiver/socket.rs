//! STUB (helper fills in): `socket(host, port)`.
use crate::{LineBlock, Store, StreamingError, receiver::Receiver};
use std::sync::Arc;

pub struct SocketReceiver {
    host: String,
    port: u16,
}

pub fn socket(host: impl Into<String>, port: u16) -> SocketReceiver {
    SocketReceiver {
        host: host.into(),
        port,
    }
}

impl Receiver for SocketReceiver {
    type Block = LineBlock;
    fn name(&self) -> String {
        format!("socket {}:{}", self.host, self.port)
    }
    async fn receive(self, _store: Arc<Store<LineBlock>>) -> Result<(), StreamingError> {
        Ok(())
    }
}

impl crate::source::IntoSource for SocketReceiver {
    type Source = crate::source::ReceiverSource<SocketReceiver>;
    fn into_source(self) -> Self::Source {
        crate::source::receiver(self)
    }
}
