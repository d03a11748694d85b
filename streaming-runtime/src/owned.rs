//! STUB (helper fills in): owned copies of elements for `collect`.
pub trait IntoOwned {
    type Owned: Send + 'static;
    fn into_owned(self) -> Self::Owned;
}
impl IntoOwned for &str {
    type Owned = String;
    fn into_owned(self) -> String {
        self.to_string()
    }
}
impl IntoOwned for String {
    type Owned = String;
    fn into_owned(self) -> String {
        self
    }
}
impl IntoOwned for i64 {
    type Owned = i64;
    fn into_owned(self) -> i64 {
        self
    }
}
impl<A: IntoOwned, B: IntoOwned> IntoOwned for (A, B) {
    type Owned = (A::Owned, B::Owned);
    fn into_owned(self) -> Self::Owned {
        (self.0.into_owned(), self.1.into_owned())
    }
}
