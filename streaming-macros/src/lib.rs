use proc_macro::TokenStream;

#[proc_macro]
pub fn stream_pipeline(input: TokenStream) -> TokenStream {
    input
}
