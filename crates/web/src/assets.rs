//! The stylesheet and the script, compiled in, served under addresses that name their
//! content (`/static/redress.3f9a….css`): browsers may keep them for a year, and a new release
//! — new content, new address — is never hidden behind a cached copy. Templates ask for the
//! address with `{{ asset(name="redress.css") }}`. The plain addresses still answer, to be
//! checked again on every use.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use tera::Tera;

/// One asset: its plain name, media type and content.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    content: &'static str,
}

const ASSETS: [Asset; 3] = [
    Asset {
        name: "redress.css",
        media_type: "text/css; charset=utf-8",
        content: include_str!("../../../static/redress.css"),
    },
    Asset {
        name: "redress.js",
        media_type: "text/javascript; charset=utf-8",
        content: include_str!("../../../static/redress.js"),
    },
    Asset {
        name: "passkeys.js",
        media_type: "text/javascript; charset=utf-8",
        content: include_str!("../../../static/passkeys.js"),
    },
];

/// How long a browser may keep an asset under its content's address: a year, unchanged.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Each asset's address with its content's fingerprint: `redress.css` → `redress.<hash>.css`.
static FINGERPRINTED: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let (stem, extension) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            (
                asset.name,
                format!("{stem}.{:016x}.{extension}", fingerprint(asset.content)),
            )
        })
        .collect()
});

/// FNV-1a, 64 bits: enough to tell one release's file from another's.
fn fingerprint(content: &str) -> u64 {
    content.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The address of asset `name` (e.g. `redress.css`) with its fingerprint.
pub fn url(name: &str) -> Option<String> {
    FINGERPRINTED
        .get(name)
        .map(|file| format!("/static/{file}"))
}

/// Lets templates call `asset(name="redress.css")`.
pub fn register(tera: &mut Tera) {
    tera.register_function(
        "asset",
        |args: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
            let name = args
                .get("name")
                .and_then(|v| v.as_str())
                .ok_or_else(|| tera::Error::msg("asset() needs name=\"…\""))?;
            url(name)
                .map(tera::Value::String)
                .ok_or_else(|| tera::Error::msg(format!("no asset called {name:?}")))
        },
    );
}

/// GET /static/{file}: an asset under its fingerprinted address (kept a year) or its plain
/// one (checked again each time).
pub(crate) async fn serve(file: web::Path<String>) -> HttpResponse {
    let file = file.into_inner();
    for asset in &ASSETS {
        let (cache, matches) = if FINGERPRINTED.get(asset.name) == Some(&file) {
            (IMMUTABLE, true)
        } else {
            ("no-cache", asset.name == file)
        };
        if matches {
            return HttpResponse::Ok()
                .content_type(asset.media_type)
                .insert_header((header::CACHE_CONTROL, cache))
                .body(asset.content);
        }
    }
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("No such file.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_name_their_content() {
        let css = url("redress.css").unwrap();
        assert!(
            css.starts_with("/static/redress.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/static/redress..css".len() + 16);
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(url("nothing.css"), None);
    }
}
