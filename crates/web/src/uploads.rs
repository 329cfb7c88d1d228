//! Forms with files (`multipart/form-data`): a reply with attachments, the public complaint
//! form and the status page's "add something". The parts are read into memory within the
//! limits of [`UploadLimits`]: a file over the size limit, too many files or a body over the
//! whole limit stops the reading and is refused with a message that says what to change;
//! nothing is stored until the whole form has been read and the command is about to run.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use futures::StreamExt;
use serde::Serialize;

/// How much a form may carry (the app's data; `REDRESS_UPLOAD_MAX_FILE_MB` and
/// `REDRESS_UPLOAD_MAX_FILES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// The largest file, in bytes.
    pub max_file_bytes: usize,
    /// Most files in one form.
    pub max_files: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 10 * 1024 * 1024,
            max_files: 5,
        }
    }
}

impl UploadLimits {
    /// The largest body a form with files may have: every file at its largest, and the
    /// words of the form.
    pub fn max_body_bytes(&self) -> u64 {
        (self.max_file_bytes as u64)
            .saturating_mul(self.max_files as u64)
            .saturating_add(crate::MAX_FORM_BYTES as u64)
    }

    /// The largest file in megabytes, for messages.
    pub fn max_file_mb(&self) -> String {
        let mb = self.max_file_bytes as f64 / (1024.0 * 1024.0);
        if mb.fract() == 0.0 {
            format!("{mb:.0}")
        } else {
            format!("{mb:.1}")
        }
    }
}

/// A file as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// Its name, as the sender's computer gave it (without any folder).
    pub name: String,
    /// Its media type, as sent (or `application/octet-stream`).
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A form read: its text fields and its files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upload {
    /// Every text field (the last one of a name wins; the form's words).
    pub fields: BTreeMap<String, String>,
    /// The files of the file fields, in order (empty file inputs are left out).
    pub files: Vec<UploadedFile>,
}

impl Upload {
    /// A text field, or empty.
    pub fn text(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    /// Stores the form's files on `reference`, sealed with `customer`'s key, just before the
    /// command that names them runs, and returns what the command carries of each. If the
    /// command is refused, [`discard`] them.
    pub async fn store_files(
        &self,
        store: &redress_store::Store,
        reference: &str,
        customer: redress_domain::CustomerId,
    ) -> Result<Vec<redress_domain::AttachmentMeta>, redress_store::StoreError> {
        let mut stored = Vec::with_capacity(self.files.len());
        for file in &self.files {
            let id = uuid::Uuid::new_v4();
            store
                .attachments
                .store(id, reference, customer, &file.bytes, store.clock.now())
                .await?;
            stored.push(redress_domain::AttachmentMeta {
                id,
                name: file.name.clone(),
                content_type: file.content_type.clone(),
                size: file.bytes.len() as u64,
            });
        }
        Ok(stored)
    }
}

/// Deletes the files [`Upload::store_files`] stored for a command that was then refused.
pub async fn discard(
    store: &redress_store::Store,
    stored: &[redress_domain::AttachmentMeta],
) -> Result<(), redress_store::StoreError> {
    let ids: Vec<uuid::Uuid> = stored.iter().map(|f| f.id).collect();
    store.attachments.discard(&ids).await
}

/// Why a form with files was refused (nothing was stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UploadRefusal {
    /// One file is over the size limit.
    FileTooLarge {
        /// Its name.
        name: String,
        /// The limit, in MB.
        max_mb: String,
    },
    /// More files than allowed.
    TooManyFiles {
        /// The limit.
        max: usize,
    },
    /// The text fields are over the form limit.
    FormTooLarge,
    /// Not a form the browser could have sent (broken multipart, a field that is not
    /// UTF-8).
    Malformed(String),
}

impl UploadRefusal {
    /// The HTTP status a refusal answers with: 413 for what is too large, 400 for a body no
    /// browser would send.
    pub fn status(&self) -> u16 {
        match self {
            UploadRefusal::Malformed(_) => 400,
            UploadRefusal::TooManyFiles { .. } => 422,
            UploadRefusal::FileTooLarge { .. } | UploadRefusal::FormTooLarge => 413,
        }
    }

    /// In words for staff (customer pages translate the kind).
    pub fn message(&self) -> String {
        match self {
            UploadRefusal::FileTooLarge { name, max_mb } => {
                format!("{name} is larger than the {max_mb} MB a file may be; send a smaller one.")
            }
            UploadRefusal::TooManyFiles { max } => {
                format!("At most {max} files can be sent at once; send the rest separately.")
            }
            UploadRefusal::FormTooLarge => format!(
                "The form's text is larger than {} KB; shorten what you wrote.",
                crate::MAX_FORM_BYTES / 1024
            ),
            UploadRefusal::Malformed(why) => format!("The form could not be read: {why}"),
        }
    }
}

/// A file's name without any folder, control characters or surrounding space; "file" if
/// nothing is left.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "file".into()
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// Reads a form with files within `limits`.
pub async fn read(mut form: Multipart, limits: UploadLimits) -> Result<Upload, UploadRefusal> {
    let mut upload = Upload::default();
    let mut text_bytes = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| UploadRefusal::Malformed(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        match filename {
            Some(filename) => {
                let filename = clean_name(&filename);
                let content_type = field
                    .content_type()
                    .map(|m| m.essence_str().to_string())
                    .unwrap_or_else(|| "application/octet-stream".into());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| UploadRefusal::Malformed(e.to_string()))?;
                    if bytes.len() + chunk.len() > limits.max_file_bytes {
                        return Err(UploadRefusal::FileTooLarge {
                            name: filename,
                            max_mb: limits.max_file_mb(),
                        });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                // A file input left empty sends a part with no name and no bytes.
                if bytes.is_empty() && filename == "file" {
                    continue;
                }
                if upload.files.len() == limits.max_files {
                    return Err(UploadRefusal::TooManyFiles {
                        max: limits.max_files,
                    });
                }
                upload.files.push(UploadedFile {
                    name: filename,
                    content_type,
                    bytes,
                });
            }
            None => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|e| UploadRefusal::Malformed(e.to_string()))?;
                    text_bytes += chunk.len();
                    if text_bytes > crate::MAX_FORM_BYTES {
                        return Err(UploadRefusal::FormTooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(bytes).map_err(|_| {
                    UploadRefusal::Malformed(format!("the field {name:?} is not UTF-8 text"))
                })?;
                upload.fields.insert(name, value);
            }
        }
    }
    Ok(upload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_folders_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\ana\\factură.pdf"), "factură.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\r\nb.txt"), "ab.txt");
        assert_eq!(clean_name(" .. "), "file");
        assert_eq!(clean_name(""), "file");
    }

    #[test]
    fn limits_are_said_in_megabytes() {
        let limits = UploadLimits {
            max_file_bytes: 2 * 1024 * 1024,
            max_files: 3,
        };
        assert_eq!(limits.max_file_mb(), "2");
        assert!(limits.max_body_bytes() > 6 * 1024 * 1024);
    }
}
