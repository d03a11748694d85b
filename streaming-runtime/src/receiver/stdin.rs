//! STUB (helper fills in): `stdin`.
use crate::{LineBlock, Store, StreamingError, receiver::Receiver};
use std::sync::Arc;

pub struct StdinReceiver {}

pub fn stdin() -> StdinReceiver {
    StdinReceiver {}
}

impl Receiver for StdinReceiver {
    type Block = LineBlock;
    fn name(&self) -> String {
        "stdin".into()
    }
    async fn receive(self, _store: Arc<Store<LineBlock>>) -> Result<(), StreamingError> {
        Ok(())
    }
}

impl crate::source::IntoSource for StdinReceiver {
    type Source = crate::source::ReceiverSource<StdinReceiver>;
    fn into_source(self) -> Self::Source {
        crate::source::receiver(self)
    }
}
