// Live mailbox status: polls the helper's status endpoint and updates each mailbox in place.
(function () {
  "use strict";
  var list = document.querySelector("[data-status-url]");
  if (!list) return;
  var url = list.getAttribute("data-status-url");
  var delay = 2000;
  var seen = null; // status changes the helper was told of, as of the last full answer
  var fullAt = 0;
  var pending = true;

  function describe(mailbox) {
    if (mailbox.state === "synced") {
      if (mailbox.nb_messages === null) return "Synced";
      return "Synced (" + mailbox.nb_messages + " message" + (mailbox.nb_messages === 1 ? "" : "s") + ")";
    }
    return mailbox.message;
  }

  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function update(mailboxes) {
    var syncing = false;
    mailboxes.forEach(function (mailbox) {
      var item = list.querySelector('[data-label="' + CSS.escape(mailbox.label) + '"]');
      if (!item) return;
      item.className = "mailbox mailbox--" + mailbox.state;
      // Only a change is written: the list is a live region, and a rewrite is announced.
      setText(item.querySelector('[data-role="state"]'), describe(mailbox));
      var progress = item.querySelector('[data-role="progress"]');
      setText(progress, mailbox.progress || "");
      progress.hidden = !mailbox.progress;
      item.querySelector('[data-role="reconnect"]').hidden = mailbox.state !== "broken";
      if (mailbox.state === "syncing") syncing = true;
    });
    return syncing;
  }

  // While a mailbox syncs, every answer is full (its progress moves). Otherwise the page asks
  // every 3 s whether a status change arrived, which costs the server no call to the API,
  // and takes a full answer once a minute.
  function poll() {
    var cheap = !pending && seen !== null && Date.now() - fullAt < 60000;
    var target = cheap ? url + "?seen=" + seen : url;
    fetch(target, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : Promise.reject(answer.status); })
      .then(function (body) {
        seen = body.seen;
        if (!body.unchanged) {
          pending = update(body.mailboxes);
          fullAt = Date.now();
        }
        delay = pending ? 2000 : 3000;
      })
      .catch(function () { delay = Math.min(delay * 2, 60000); })
      .then(function () { window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, delay);
})();
