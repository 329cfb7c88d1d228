// Progressive enhancement only: every page works without this file.
//
// Tells the server the browser's time zone at sign-in (used when the account has none yet)
// and offers it on the account page, so times read in the viewer's own zone.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("input[data-browser-time-zone]").forEach(function (input) {
    input.value = zone;
  });
  document.querySelectorAll("[data-browser-time-zone-hint]").forEach(function (hint) {
    hint.textContent = "Your browser says " + zone + ".";
    hint.hidden = false;
  });
})();

// The SLA dashboard refreshes its live part every 30 seconds without a full reload (the
// server renders the same HTML in a document of its own with ?partial=1). Without
// JavaScript, reload the page.
(function () {
  "use strict";
  var live = document.querySelector("[data-refresh]");
  if (!live || !window.fetch) {
    return;
  }
  var url = live.getAttribute("data-refresh");
  var every = parseInt(live.getAttribute("data-refresh-seconds") || "30", 10) * 1000;
  function refresh() {
    if (document.hidden) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // The live part comes as a small document of its own: take its body.
        var fresh = new DOMParser().parseFromString(html, "text/html");
        live.innerHTML = fresh.body.innerHTML;
        live.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {
        // Keep what is shown; the next round tries again.
      });
  }
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
})();

// The conversation box: choosing a saved reply puts its text (already filled in for this
// complaint, in the customer's language) in the reply at once. Without JavaScript, the
// "Insert" button beside the list does the same through the server.
(function () {
  "use strict";
  var list = document.getElementById("saved_reply");
  var message = document.getElementById("reply-message");
  if (!list || !message) {
    return;
  }
  list.addEventListener("change", function () {
    var chosen = list.options[list.selectedIndex];
    var body = chosen && chosen.getAttribute("data-body");
    if (!body) {
      return;
    }
    message.value = message.value.trim() ? message.value.replace(/\s+$/, "") + "\n\n" + body : body;
    message.focus();
  });
})();
