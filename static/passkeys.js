// Passkeys (WebAuthn) on the sign-in page and on /account (crates/web/src/passkeys.rs).
// Without JavaScript, or in a browser without WebAuthn, the passkey forms stay hidden and
// everything else works as before.
//
// The server's options are WebAuthn's JSON form (binary fields as base64url); the browser's
// API wants ArrayBuffers, and its answer goes back as JSON in a form field.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function decode(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: decode(c.id) });
    });
  }

  function creationOptions(options) {
    var o = Object.assign({}, options.publicKey);
    o.challenge = decode(o.challenge);
    o.user = Object.assign({}, o.user, { id: decode(o.user.id) });
    o.excludeCredentials = withIds(o.excludeCredentials);
    return { publicKey: o };
  }

  function requestOptions(options) {
    var o = Object.assign({}, options.publicKey);
    o.challenge = decode(o.challenge);
    o.allowCredentials = withIds(o.allowCredentials);
    return { publicKey: o };
  }

  function credentialJson(credential) {
    var r = credential.response;
    var out = {
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
    if (r.attestationObject) {
      out.response = {
        attestationObject: encode(r.attestationObject),
        clientDataJSON: encode(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined,
      };
    } else {
      out.response = {
        authenticatorData: encode(r.authenticatorData),
        clientDataJSON: encode(r.clientDataJSON),
        signature: encode(r.signature),
        userHandle: r.userHandle ? encode(r.userHandle) : null,
      };
    }
    return JSON.stringify(out);
  }

  // Posts the form's fields (and `extra`) to `url`; resolves to the JSON answer, or rejects
  // with the server's words.
  function post(url, form, extra) {
    var body = new URLSearchParams(new FormData(form));
    Object.keys(extra || {}).forEach(function (key) {
      body.set(key, extra[key]);
    });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(
        function (answer) {
          if (!response.ok || answer.error) {
            throw new Error(answer.error || response.statusText);
          }
          return answer;
        },
        function () {
          throw new Error(form.getAttribute("data-failed") || response.statusText);
        }
      );
    });
  }

  function ceremony(form, run) {
    var error = form.querySelector("[data-passkey-error]");
    var button = form.querySelector("button[type=submit]");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      button.disabled = true;
      run()
        .then(function (answer) {
          window.location.assign(answer.location);
        })
        .catch(function (problem) {
          // The browser's own refusals (cancelled, no passkey here, timed out) are DOMExceptions.
          var words =
            problem && problem.name && problem.name !== "Error"
              ? form.getAttribute("data-cancelled")
              : problem.message;
          error.textContent = words;
          error.hidden = false;
          button.disabled = false;
        });
    });
  }

  var signIn = document.querySelector("form[data-passkey-sign-in]");
  if (signIn) {
    ceremony(signIn, function () {
      return post("/sign-in/passkey/options", signIn)
        .then(function (options) {
          return navigator.credentials.get(requestOptions(options));
        })
        .then(function (credential) {
          return post("/sign-in/passkey", signIn, { credential: credentialJson(credential) });
        });
    });
  }

  var add = document.querySelector("form[data-passkey-add]");
  if (add) {
    ceremony(add, function () {
      return post("/account/passkeys/options", add)
        .then(function (options) {
          return navigator.credentials.create(creationOptions(options));
        })
        .then(function (credential) {
          return post("/account/passkeys", add, { credential: credentialJson(credential) });
        });
    });
  }
})();
