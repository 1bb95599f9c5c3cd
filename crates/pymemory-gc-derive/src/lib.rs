//! `#[derive(Trace)]` and `#[derive(Finalize)]` for `pymemory-gc` (re-exported as
//! `pymemory_gc::Trace` / `pymemory::gc::Trace`, next to the traits of the same name).
//!
//! ```
//! use std::cell::RefCell;
//! use pymemory_gc::{Finalize, Gc, Trace};
//!
//! #[derive(Trace, Finalize)]
//! struct Node {
//!     children: RefCell<Vec<Gc<Node>>>,
//!     #[trace(skip)] // holds no Gc
//!     label: std::path::PathBuf,
//! }
//!
//! let node = Gc::new(Node { children: RefCell::new(Vec::new()), label: "root".into() });
//! node.children.borrow_mut().push(node.clone()); // a self-cycle
//! drop(node);
//! assert_eq!(pymemory_gc::collect(), 1);
//! ```
//!
//! Exactness: the generated `Trace::EXACTNESS` vouches (with an `unsafe` block inside the
//! expansion, so crates that `#![forbid(unsafe_code)]` can derive) that the impl is exact
//! when every traced field type is exact; a field of a hand-written type that does not
//! vouch makes the whole type unverified (its cycles then leak instead of being
//! collected). `#[trace(skip)]` fields do not count.
//!
//! Paths: the generated code names `::pymemory_gc` when the deriving package is
//! `pymemory-gc` itself or lists `pymemory-gc` among its dependencies, and
//! `::pymemory::gc` otherwise (users of the umbrella crate). `#[trace(crate = "path")]`
//! on the type overrides the choice.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Ident, Type, parse_macro_input, parse_quote};

/// Derives `Trace`: traces every field not marked `#[trace(skip)]`, computes
/// `MAY_CONTAIN_GC` from the field types, and vouches for `EXACTNESS` when every traced
/// field type is exact (the generated `trace` reports each owned field once).
#[proc_macro_derive(Trace, attributes(trace))]
pub fn derive_trace(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match trace_impl(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Derives the empty `Finalize` (no `__del__`).
#[proc_macro_derive(Finalize, attributes(trace))]
pub fn derive_finalize(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let krate = match crate_path(&input) {
        Ok(k) => k,
        Err(e) => return e.to_compile_error().into(),
    };
    let name = &input.ident;
    let (ig, tg, wc) = input.generics.split_for_impl();
    quote! {
        impl #ig #krate::Finalize for #name #tg #wc {
            const NEEDS_FINALIZE: bool = false;
        }
    }
    .into()
}

struct Options {
    krate: Option<syn::Path>,
}

fn container_options(input: &DeriveInput) -> syn::Result<Options> {
    let mut opts = Options { krate: None };
    for attr in &input.attrs {
        if !attr.path().is_ident("trace") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let s: syn::LitStr = meta.value()?.parse()?;
                opts.krate = Some(s.parse()?);
                Ok(())
            } else {
                Err(meta.error("unknown #[trace] option on a type (expected `crate = \"path\"`)"))
            }
        })?;
    }
    Ok(opts)
}

fn crate_path(input: &DeriveInput) -> syn::Result<syn::Path> {
    if let Some(k) = container_options(input)?.krate {
        return Ok(k);
    }
    Ok(if depends_on_gc_directly() {
        parse_quote!(::pymemory_gc)
    } else {
        parse_quote!(::pymemory::gc)
    })
}

/// Whether the package being compiled is `pymemory-gc` or declares it as a dependency.
fn depends_on_gc_directly() -> bool {
    if std::env::var("CARGO_PKG_NAME").is_ok_and(|n| n == "pymemory-gc") {
        return true;
    }
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        return false;
    };
    let Ok(text) = std::fs::read_to_string(std::path::Path::new(&dir).join("Cargo.toml")) else {
        return false;
    };
    let mut in_deps = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let table = line.trim_matches(|c| c == '[' || c == ']' || c == ' ');
            in_deps = table.ends_with("dependencies") || table.contains("dependencies.");
            if in_deps && (table.ends_with(".pymemory-gc") || table.ends_with(".pymemory_gc")) {
                return true;
            }
            continue;
        }
        if in_deps {
            let key = line
                .split(['=', '.', ' '])
                .next()
                .unwrap_or("")
                .trim_matches('"');
            if key == "pymemory-gc" || key == "pymemory_gc" {
                return true;
            }
        }
    }
    false
}

fn is_skip(attrs: &[syn::Attribute]) -> syn::Result<bool> {
    let mut skip = false;
    for attr in attrs {
        if !attr.path().is_ident("trace") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = true;
                Ok(())
            } else {
                Err(meta.error("unknown #[trace] option on a field (expected `skip`)"))
            }
        })?;
    }
    Ok(skip)
}

/// A field type with every mention of the type being derived (or `Self`) replaced by
/// `()`. `MAY_CONTAIN_GC` of a directly recursive type (`Vec<Self>`) would otherwise
/// depend on itself; the recursive part adds nothing the other fields do not say.
/// (`Gc<Self>` stays `true`: `Gc`'s constant does not look at its parameter.)
fn strip_self(ty: &Type, name: &Ident) -> Type {
    let mut ty = ty.clone();
    strip_in_place(&mut ty, name);
    ty
}

fn strip_in_place(ty: &mut Type, name: &Ident) {
    match ty {
        Type::Path(tp) => {
            let is_self = tp.qself.is_none()
                && tp
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == *name || s.ident == "Self")
                && (tp.path.segments.len() == 1
                    || tp
                        .path
                        .segments
                        .first()
                        .is_some_and(|s| s.ident == "self" || s.ident == "crate"));
            if is_self {
                *ty = parse_quote!(());
                return;
            }
            for seg in &mut tp.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            strip_in_place(t, name);
                        }
                    }
                }
            }
        }
        Type::Reference(r) => strip_in_place(&mut r.elem, name),
        Type::Array(a) => strip_in_place(&mut a.elem, name),
        Type::Slice(a) => strip_in_place(&mut a.elem, name),
        Type::Paren(p) => strip_in_place(&mut p.elem, name),
        Type::Group(g) => strip_in_place(&mut g.elem, name),
        Type::Ptr(p) => strip_in_place(&mut p.elem, name),
        Type::Tuple(t) => t.elems.iter_mut().for_each(|e| strip_in_place(e, name)),
        _ => {}
    }
}

fn trace_impl(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let krate = crate_path(input)?;
    let name = &input.ident;
    let mut generics = input.generics.clone();
    for tp in generics.type_params_mut() {
        tp.bounds.push(parse_quote!(#krate::Trace));
    }
    let (ig, tg, wc) = generics.split_for_impl();

    let mut may: Vec<TokenStream2> = Vec::new();
    let mut exact: Vec<TokenStream2> = Vec::new();
    let mut add_may = |ty: &Type| {
        let ty = strip_self(ty, name);
        may.push(quote!(<#ty as #krate::Trace>::MAY_CONTAIN_GC));
        exact.push(quote!(.and(<#ty as #krate::Trace>::EXACTNESS)));
    };
    let tracer = Ident::new("__tracer", Span::mixed_site());

    let body = match &input.data {
        Data::Struct(s) => {
            let mut stmts = Vec::new();
            for (i, f) in s.fields.iter().enumerate() {
                if is_skip(&f.attrs)? {
                    continue;
                }
                add_may(&f.ty);
                let member = match &f.ident {
                    Some(id) => quote!(#id),
                    None => {
                        let idx = syn::Index::from(i);
                        quote!(#idx)
                    }
                };
                stmts.push(quote!(#krate::Trace::trace(&self.#member, #tracer);));
            }
            quote!(#(#stmts)*)
        }
        Data::Enum(e) => {
            let mut arms = Vec::new();
            for v in &e.variants {
                let vname = &v.ident;
                let mut binds = Vec::new();
                let mut stmts = Vec::new();
                for (i, f) in v.fields.iter().enumerate() {
                    let skip = is_skip(&f.attrs)?;
                    let b = format_ident!("__f{}", i);
                    if !skip {
                        add_may(&f.ty);
                        stmts.push(quote!(#krate::Trace::trace(#b, #tracer);));
                    }
                    binds.push((f.ident.clone(), b, skip));
                }
                let pat = match &v.fields {
                    Fields::Named(_) => {
                        let ps = binds.iter().map(|(id, b, skip)| {
                            let id = id.as_ref().expect("named field");
                            if *skip {
                                quote!(#id: _)
                            } else {
                                quote!(#id: #b)
                            }
                        });
                        quote!(Self::#vname { #(#ps),* })
                    }
                    Fields::Unnamed(_) => {
                        let ps = binds
                            .iter()
                            .map(|(_, b, skip)| if *skip { quote!(_) } else { quote!(#b) });
                        quote!(Self::#vname ( #(#ps),* ))
                    }
                    Fields::Unit => quote!(Self::#vname),
                };
                arms.push(quote!(#pat => { #(#stmts)* }));
            }
            if arms.is_empty() {
                quote!()
            } else {
                quote!(match self { #(#arms)* })
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new_spanned(
                u.union_token,
                "#[derive(Trace)] does not support unions",
            ));
        }
    };

    Ok(quote! {
        impl #ig #krate::Trace for #name #tg #wc {
            const MAY_CONTAIN_GC: bool = false #(|| #may)*;
            // SAFETY: `trace` below only calls `trace` once on each traced (owned) field: it
            // is exact when every traced field type is.
            const EXACTNESS: #krate::Exactness<Self> =
                unsafe { #krate::Exactness::<Self>::vouched() } #(#exact)*;
            #[inline]
            #[allow(unused_variables)]
            fn trace(&self, #tracer: &mut #krate::Tracer<'_>) {
                #body
            }
        }
    })
}
