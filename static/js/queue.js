/*
 * The live queue: the admin's ticket changelist updates without a reload when a hand-off arrives, moves or is taken.
 * The socket only says "something changed"; the rows come from the server (the changelist itself, re-fetched).
 */
(function () {
  "use strict";
  const badge = document.querySelector('[data-role="queue-badge"]');
  const live = document.querySelector('[data-role="queue-live"]');
  if (!badge) return;
  let retries = 0;
  let refreshing = null;

  function showCount(waiting) {
    badge.hidden = false;
    badge.textContent = `${waiting} waiting`;
    badge.classList.toggle("zero", waiting === 0);
    document.title = (waiting ? `(${waiting}) ` : "") + document.title.replace(/^\(\d+\) /, "");
  }

  async function refreshRows() {
    const response = await fetch(location.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["changelist-form", "changelist-filter"]) {
      const fresh = page.getElementById(id);
      const current = document.getElementById(id);
      if (fresh && current) current.replaceWith(fresh);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/agent/queue/`);
    socket.addEventListener("open", () => { retries = 0; live.textContent = "Live"; });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "error" && frame.code === "realtime_unavailable") {
        live.textContent = "Live updates interrupted: reload for the latest";
        return;
      }
      if (frame.type === "realtime_restored") {
        live.textContent = "Live";
        clearTimeout(refreshing);
        refreshing = setTimeout(refreshRows, 150);  // what changed meanwhile
        return;
      }
      if (frame.type !== "queue") return;
      showCount(frame.waiting);
      if (frame.change) {
        if (frame.change === "created" && frame.kind === "handoff") live.textContent = `New hand-off ${frame.ticket}`;
        clearTimeout(refreshing);
        refreshing = setTimeout(refreshRows, 150);
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) return;
      live.textContent = "Reconnecting…";
      setTimeout(connect, Math.min(10000, 500 * 2 ** retries++));
    });
  }
  connect();
})();
