/*
 * The live queue: the admin's ticket changelist updates without a reload when a hand-off arrives, moves or is taken.
 * The socket (socket.js) only says "something changed"; the rows come from the server (the changelist itself,
 * re-fetched). Its words come translated from the page (the hidden data-s spans of the changelist template).
 */
(function () {
  "use strict";
  const badge = document.querySelector('[data-role="queue-badge"]');
  const live = document.querySelector('[data-role="queue-live"]');
  if (!badge) return;
  const strings = {};
  document.querySelectorAll('[data-role="queue-strings"] [data-s]').forEach((el) => { strings[el.dataset.s] = el.textContent; });
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  let refreshing = null;

  function showCount(waiting) {
    badge.hidden = false;
    badge.textContent = strings.waiting.replace("{count}", numbers.format(waiting));
    badge.classList.toggle("zero", waiting === 0);
    document.title = (waiting ? `(${waiting}) ` : "") + document.title.replace(/^\(\d+\) /, "");
  }

  async function refreshRows() {
    const response = await fetch(location.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["changelist-form", "changelist-filter", "desk-staffing"]) {
      const fresh = page.getElementById(id);
      const current = document.getElementById(id);
      if (fresh && current) current.replaceWith(fresh);
    }
  }

  function refreshSoon() {
    clearTimeout(refreshing);
    refreshing = setTimeout(refreshRows, 150);
  }

  HelpdeskSocket.connect({
    path: "/ws/agent/queue/",
    finalCodes: [4403],
    handlers: {
      queue(frame) {
        showCount(frame.waiting);
        if (frame.change) {
          if (frame.change === "created" && frame.kind === "handoff") live.textContent = strings.newHandoff.replace("{ticket}", frame.ticket);
          refreshSoon();
        }
      },
    },
    interrupted() { live.textContent = strings.interrupted; },
    restored() {
      live.textContent = strings.live;
      refreshSoon();  // what changed meanwhile
    },
    opened() { live.textContent = strings.live; },
    closed() { live.textContent = strings.reconnecting; },
  });
})();
