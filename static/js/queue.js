/*
 * The queue page (templates/admin/desk/queue.html), live. The socket (/ws/agent/queue/, socket.js) only says "something
 * changed"; the page then fetches its live fragment again (?fragment=1: the availability panel, the tabs with their
 * counts, the rows, the waiting count) and swaps it in, so rows and counts always come from one server response.
 * Fetches are debounced (a burst of frames is one request), the scroll position and the focused element are kept.
 *
 * The tab title carries the number of customers waiting in the chat: "(2) Support queue | …".
 *
 * "Notify me" (opt-in, remembered in localStorage): asks the browser's permission on click, never on load; when on,
 * a hand-off that arrives (a frame with change "created" and kind "handoff") shows a notification and plays a short
 * chime made with the Web Audio API. Nothing plays on load or for other changes.
 */
(function () {
  "use strict";
  const root = document.getElementById("desk-queue");
  if (!root) return;
  const region = document.getElementById("queue-live");
  const liveLine = root.querySelector('[data-role="queue-live"]');
  const announcement = root.querySelector('[data-role="queue-announce"]');
  const toggle = root.querySelector('[data-role="notify-toggle"]');
  const note = root.querySelector('[data-role="notify-note"]');
  const strings = {};
  root.querySelectorAll('[data-role="strings"] [data-s]').forEach((el) => { strings[el.dataset.s] = el.textContent; });
  const STORAGE_KEY = "helpdesk.queue.notify";
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  let timer = null;
  let inFlight = false;
  let again = false;
  let announce = "";
  let toNotify = [];

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? values[key] : whole));
  }

  // --- the tab title ---------------------------------------------------------------------------------------------
  function showWaiting() {
    const state = region.querySelector('[data-role="queue-state"]');
    const waiting = state ? parseInt(state.dataset.waiting, 10) || 0 : 0;
    document.title = (waiting > 0 ? `(${waiting}) ` : "") + baseTitle;
  }

  // --- the live fragment -----------------------------------------------------------------------------------------
  function focusKey(element) {
    if (!element || !region.contains(element)) return null;
    if (element.dataset.focus) return `[data-focus="${CSS.escape(element.dataset.focus)}"]`;
    if (element.id) return `#${CSS.escape(element.id)}`;
    if (element.name && element.value) {
      return `${element.tagName.toLowerCase()}[name="${CSS.escape(element.name)}"][value="${CSS.escape(element.value)}"]`;
    }
    return null;
  }

  // The row at the top of the window, to keep where it is on screen (the agent's place): rows arriving above it push
  // the page down by as much. At the very top the page stays at the top, where new hand-offs appear.
  function anchorRow() {
    if (window.scrollY <= 0) return null;
    for (const row of region.querySelectorAll("tr[data-ticket]")) {
      const top = row.getBoundingClientRect().top;
      if (top >= 0) return { ticket: row.dataset.ticket, top };
    }
    return null;
  }

  function keepPlace(anchor, x, y) {
    const row = anchor && region.querySelector(`tr[data-ticket="${CSS.escape(anchor.ticket)}"]`);
    if (row) window.scrollBy(0, row.getBoundingClientRect().top - anchor.top);
    else if (window.scrollX !== x || window.scrollY !== y) window.scrollTo(x, y);
  }

  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const response = await fetch(root.dataset.fragment, {
        headers: { "X-Requested-With": "fetch" }, credentials: "same-origin", cache: "no-store",
      });
      if (!response.ok) return;
      const html = await response.text();
      const key = focusKey(document.activeElement);
      const anchor = anchorRow();
      const x = window.scrollX;
      const y = window.scrollY;
      region.innerHTML = html;
      if (announce) { announcement.textContent = announce; announce = ""; }
      keepPlace(anchor, x, y);
      if (key) {
        const twin = region.querySelector(key);
        if (twin) twin.focus({ preventScroll: true });
      }
      showWaiting();
      notifyArrivals();
    } catch (error) {
      // Offline for a moment: the next frame (or the reconnection) fetches again.
    } finally {
      inFlight = false;
      if (again) { again = false; refreshSoon(); }
    }
  }

  function refreshSoon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  // --- notifications ---------------------------------------------------------------------------------------------
  const supported = "Notification" in window;
  let audio = null;

  function notifyWanted() {
    return supported && Notification.permission === "granted" && localStorage.getItem(STORAGE_KEY) === "on";
  }

  function showToggle() {
    const on = notifyWanted();
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    let text = on ? strings.notify_on : strings.notify_off;
    if (!supported) text = strings.notify_unsupported;
    else if (Notification.permission === "denied") text = strings.notify_denied;
    note.textContent = text;
    note.classList.toggle("problem", !supported || Notification.permission === "denied");
    toggle.disabled = !supported;
  }

  function prepareAudio() {
    // Created on the click (a user gesture), so the browser lets it play later.
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  }

  function chime() {
    if (!audio) prepareAudio();
    if (!audio) return;
    if (audio.state === "suspended") audio.resume().catch(() => {});
    const start = audio.currentTime + 0.02;
    [[880, 0], [1320, 0.16]].forEach(([frequency, offset]) => {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.35);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.4);
    });
  }

  function notifyArrivals() {
    if (!toNotify.length) return;
    const numbers = toNotify;
    toNotify = [];
    if (!notifyWanted()) return;
    numbers.forEach((number) => {
      const item = region.querySelector(`[data-role="queue-state"] [data-ticket="${CSS.escape(number)}"]`);
      const subject = item ? item.textContent : "";
      const title = subject ? fill(strings.notification_title, { ticket: number, subject })
        : fill(strings.new_handoff, { ticket: number });
      try {
        const notification = new Notification(title, { body: strings.notification_body, tag: `handoff-${number}` });
        notification.onclick = () => { window.focus(); notification.close(); };
      } catch (error) {
        // Some browsers only notify from a service worker: the chime and the title still say it.
      }
    });
    chime();
  }

  toggle.addEventListener("click", async () => {
    if (!supported) return;
    if (notifyWanted()) {
      localStorage.setItem(STORAGE_KEY, "off");
      showToggle();
      return;
    }
    prepareAudio();
    if (Notification.permission === "default") {
      note.textContent = strings.notify_asking;
      try { await Notification.requestPermission(); } catch (error) { /* treated as not granted */ }
    }
    localStorage.setItem(STORAGE_KEY, Notification.permission === "granted" ? "on" : "off");
    showToggle();
  });
  showToggle();
  showWaiting();
  // After a reload the chime needs the agent's first click or key on the page (the browser's autoplay rule).
  ["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, () => {
    if (notifyWanted()) prepareAudio();
  }, { once: true }));

  // --- the socket ------------------------------------------------------------------------------------------------
  HelpdeskSocket.connect({
    path: "/ws/agent/queue/",
    finalCodes: [4403],
    handlers: {
      queue(frame) {
        if (!frame.change) return;  // the count sent on connect: the page is as fresh as the server
        if (frame.change === "created" && frame.kind === "handoff" && frame.ticket) {
          announce = fill(strings.new_handoff, { ticket: frame.ticket });
          toNotify.push(frame.ticket);
        }
        refreshSoon();
      },
    },
    interrupted() { liveLine.textContent = strings.interrupted; },
    restored() {
      liveLine.textContent = strings.live;
      refreshSoon();  // what changed meanwhile
    },
    opened() {
      // Every (re)connection: what changed since the page was rendered, or while the socket was down.
      liveLine.textContent = strings.live;
      refreshSoon();
    },
    closed() { liveLine.textContent = strings.reconnecting; },
  });
})();
