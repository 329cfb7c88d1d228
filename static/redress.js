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
