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

// Keyboard shortcuts for staff ("?" lists them): j / k move between complaints (in the queue,
// and on a complaint page through the list the queue last showed), o opens the chosen one
// (Enter too: the chosen row's link has the focus), u goes back to the queue, r and n go to
// the reply and the note, a assigns the complaint to oneself. They never act while typing in
// a field or with a modifier held, and each has a link or a button of its own.
(function () {
  "use strict";
  var help = document.getElementById("shortcuts");
  if (!help || typeof help.showModal !== "function") {
    return;
  }
  var REMEMBERED = "redress.queue";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-complaint]"));
  var here = document.querySelector("[data-complaint-page]");
  var reference = function (row) {
    return row.getAttribute("data-complaint");
  };
  if (rows.length) {
    try {
      sessionStorage.setItem(REMEMBERED, JSON.stringify({
        url: location.pathname + location.search,
        references: rows.map(reference)
      }));
    } catch (e) {
      // No storage: j and k work in the queue only.
    }
  }
  function remembered() {
    try {
      return JSON.parse(sessionStorage.getItem(REMEMBERED) || "null");
    } catch (e) {
      return null;
    }
  }
  function typing(element) {
    if (!element || element === document.body) {
      return false;
    }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }
  function chosen() {
    var active = document.activeElement;
    var row = active && active.closest ? active.closest("tr[data-complaint]") : null;
    return row ? rows.indexOf(row) : -1;
  }
  function choose(index) {
    rows.forEach(function (row) {
      row.classList.remove("chosen");
    });
    var row = rows[Math.max(0, Math.min(rows.length - 1, index))];
    row.classList.add("chosen");
    var link = row.querySelector("a");
    if (link) {
      link.focus();
    }
  }
  function move(step) {
    if (rows.length) {
      var at = chosen();
      choose(at < 0 ? (step > 0 ? 0 : rows.length - 1) : at + step);
      return true;
    }
    var list = here && remembered();
    if (!list) {
      return false;
    }
    var position = list.references.indexOf(here.getAttribute("data-complaint-page"));
    var next = position < 0 ? null : list.references[position + step];
    if (next) {
      location.href = "/complaints/" + encodeURIComponent(next);
    }
    return true;
  }
  function open() {
    var at = chosen();
    var link = at < 0 ? null : rows[at].querySelector("a");
    if (link) {
      link.click();
    }
    return !!link;
  }
  function write(id) {
    var field = here && document.getElementById(id);
    if (!field) {
      return false;
    }
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }
  function assignToMe() {
    var select = here && document.querySelector("select[data-me]");
    if (!select) {
      return false;
    }
    var details = select.closest("details");
    if (details) {
      details.open = true;
    }
    select.value = select.getAttribute("data-me");
    if (select.form.requestSubmit) {
      select.form.requestSubmit();
    } else {
      select.form.submit();
    }
    return true;
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    if (typing(event.target)) {
      return;
    }
    var done;
    if (event.key === "?") {
      if (help.open) {
        help.close();
      } else {
        help.showModal();
      }
      done = true;
    } else if (help.open) {
      return;
    } else if (event.key === "j") {
      done = move(1);
    } else if (event.key === "k") {
      done = move(-1);
    } else if (event.key === "o") {
      done = open();
    } else if (event.key === "u") {
      var list = remembered();
      location.href = (list && list.url) || "/complaints";
      done = true;
    } else if (event.key === "r") {
      done = write("reply-message");
    } else if (event.key === "n") {
      done = write("note");
    } else if (event.key === "a") {
      done = assignToMe();
    }
    if (done) {
      event.preventDefault();
    }
  });
})();
