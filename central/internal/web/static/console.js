// The officers' console: live queue over /events, the referral detail
// fetched in place, actions sent with fetch (the page never reloads), a
// countdown to each held referral's end and a beep for a new one.
// Everything also works without this script, by plain links and forms.
(() => {
  "use strict";
  const queue = document.getElementById("queue");
  const detail = document.getElementById("detail");
  const gates = document.getElementById("gates");
  const announce = document.getElementById("announce");
  const soundToggle = document.getElementById("sound-toggle");
  const live = document.getElementById("live");
  const meta = document.querySelector('meta[name="csrf-token"]');

  // --- sound ---
  let soundOn = localStorage.getItem("autogate.sound") !== "off";
  let audio = null;
  function showSound() {
    if (!soundToggle) return;
    soundToggle.setAttribute("aria-pressed", String(soundOn));
    soundToggle.textContent = soundOn ? "Sound: on" : "Sound: off";
  }
  function audioContext() {
    if (!audio && window.AudioContext) audio = new AudioContext();
    if (audio && audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }
  // Browsers start audio only after a user gesture: the first one unlocks it.
  document.addEventListener("pointerdown", audioContext, { once: true });
  document.addEventListener("keydown", audioContext, { once: true });
  function beep() {
    const ctx = soundOn && audioContext();
    if (!ctx) return;
    const t = ctx.currentTime;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(660, t + 0.12);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.32);
  }
  if (soundToggle) {
    showSound();
    soundToggle.addEventListener("click", () => {
      soundOn = !soundOn;
      localStorage.setItem("autogate.sound", soundOn ? "on" : "off");
      showSound();
      if (soundOn) beep();
    });
  }

  // --- fetching ---
  async function get(url, accept) {
    const r = await fetch(url, { headers: { Accept: accept || "text/html" }, credentials: "same-origin" });
    // An ended session: a 401, or (for a page-like request) the redirect
    // to the login page that fetch followed.
    if (r.status === 401 || (r.redirected && new URL(r.url).pathname === "/login")) {
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      throw new Error("session ended");
    }
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.text();
  }

  // One refresh of each kind at a time; a notice meanwhile runs it once more.
  function serial(fn) {
    let busy = false, again = false;
    const run = async () => {
      if (busy) { again = true; return; }
      busy = true;
      try { await fn(); } catch (e) { console.warn(e); }
      busy = false;
      if (again) { again = false; run(); }
    };
    return run;
  }

  // --- queue ---
  const known = new Set();
  if (queue) for (const li of queue.querySelectorAll("[data-id]")) known.add(li.dataset.id);

  function selectedID() { return detail ? detail.dataset.id || "" : ""; }

  const refreshQueue = serial(async () => {
    if (!queue) return;
    const sel = selectedID();
    const html = await get("/console/queue" + (sel ? "?selected=" + encodeURIComponent(sel) : ""));
    const t = document.createElement("template");
    t.innerHTML = html;
    const fresh = [];
    for (const li of t.content.querySelectorAll("[data-id]")) {
      if (!known.has(li.dataset.id)) {
        known.add(li.dataset.id);
        if (li.dataset.state === "waiting") {
          li.classList.add("new");
          fresh.push(li);
        }
      }
    }
    queue.replaceChildren(t.content);
    tick();
    if (fresh.length) {
      const li = fresh[0];
      const reasons = li.querySelector(".rs");
      announce.textContent = (fresh.length > 1 ? fresh.length + " new referrals; newest" : "New referral") +
        " at gate " + li.dataset.gate + ": " + (reasons ? reasons.textContent : "");
      beep();
      clearTimeout(refreshQueue.clear);
      refreshQueue.clear = setTimeout(() => { announce.textContent = ""; }, 15000);
    }
    // Re-read the opened referral only when it changed: a half-filled
    // form is not reset by other traffic.
    if (sel) {
      const row = queue.querySelector(`[data-id="${CSS.escape(sel)}"]`);
      const shown = detail.querySelector(".ref-detail");
      if (row && shown && row.dataset.sig !== shown.dataset.sig) refreshDetail();
    }
  });

  // --- detail ---
  async function openDetail(id, focus) {
    const html = await get("/console/referrals/" + encodeURIComponent(id));
    detail.innerHTML = html;
    detail.dataset.id = id;
    for (const li of queue.querySelectorAll("[data-id]")) {
      const on = li.dataset.id === id;
      li.classList.toggle("selected", on);
      const a = li.querySelector("a.open");
      if (a) { if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current"); }
    }
    history.replaceState(null, "", "/console?referral=" + encodeURIComponent(id));
    initActForm();
    tick();
    if (focus) {
      const h = document.getElementById("h-detail");
      if (h) { h.tabIndex = -1; h.focus({ preventScroll: false }); }
    }
  }
  const refreshDetail = serial(async () => {
    const id = selectedID();
    if (!id) return;
    // Keep what the officer is typing: a status line written by an action
    // in flight is carried over.
    const status = document.getElementById("act-status");
    const keep = status ? status.innerHTML : "";
    await openDetail(id, false);
    const now = document.getElementById("act-status");
    if (now && keep && !detail.querySelector(".ack")) now.innerHTML = keep;
  });

  if (queue) {
    queue.addEventListener("click", (ev) => {
      const a = ev.target.closest("a.open");
      const li = ev.target.closest("[data-id]");
      if (!li || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault();
      openDetail(li.dataset.id, !!a && ev.detail === 0).catch((e) => {
        detail.innerHTML = "";
        const p = document.createElement("p");
        p.className = "msg error";
        p.textContent = "Could not open the referral: " + e.message;
        detail.append(p);
      });
    });
  }

  // The reason list follows the chosen action.
  function filterReasons(form) {
    const action = form.querySelector('select[name="action"]');
    const reason = form.querySelector('select[name="reason"]');
    if (!action || !reason) return;
    let first = null;
    for (const g of reason.querySelectorAll("optgroup")) {
      const on = g.dataset.action === action.value;
      g.disabled = !on;
      g.hidden = !on;
      if (on && !first) first = g.querySelector("option");
    }
    const cur = reason.selectedOptions[0];
    if (!cur || cur.parentElement.dataset.action !== action.value) {
      if (first) reason.value = first.value;
    }
  }
  function initActForm() {
    const form = detail && detail.querySelector("form.act");
    if (form) filterReasons(form);
  }
  document.addEventListener("change", (ev) => {
    if (ev.target.matches('form.act select[name="action"]')) filterReasons(ev.target.form);
  });
  initActForm();

  // --- actions ---
  function say(el, state, text) {
    if (!el) return;
    const span = document.createElement("span");
    span.dataset.ack = state;
    span.className = "ack " + state;
    span.textContent = text;
    el.replaceChildren(span);
  }
  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    const isAct = form.matches("form.act");
    if (!isAct && !form.matches("form.gate-op")) return;
    ev.preventDefault();
    const statusID = isAct ? "act-status" : "gates-status";
    const data = new FormData(form);
    const body = {};
    for (const k of ["action", "reason", "note"]) if (data.has(k)) body[k] = String(data.get(k));
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    say(document.getElementById(statusID), "sending", "sent… waiting for the gate");
    let ok = false;
    try {
      // Not form.action: the form's own "action" field shadows that property.
      const r = await fetch(form.getAttribute("action"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
          "X-CSRF-Token": String(data.get("csrf") || (meta ? meta.content : "")) },
        body: JSON.stringify(body),
      });
      const ans = await r.json().catch(() => ({}));
      const el = document.getElementById(statusID);
      if (!r.ok) {
        say(el, "error", "not sent: " + (ans.error || r.status));
      } else {
        ok = true;
        const state = ans.result === "sent" ? "pending" : ans.result;
        say(el, state, ans.detail || ans.result);
      }
    } catch (e) {
      say(document.getElementById(statusID), "error", "not sent: " + e.message);
    }
    if (button && !ok) button.disabled = false;
    refreshQueue();
    if (!isAct) refreshGates();
  });

  // --- gates ---
  const refreshGates = serial(async () => {
    if (!gates) return;
    // Not while the officer is choosing a reason there.
    if (gates.contains(document.activeElement)) { gatesStale = true; return; }
    gatesStale = false;
    gates.innerHTML = await get("/console/gates");
  });
  let gatesStale = false;
  if (gates) gates.addEventListener("focusout", () => { if (gatesStale) setTimeout(refreshGates, 0); });

  // --- countdown ---
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll("[data-held-until]")) {
      const left = Math.ceil((Date.parse(el.dataset.heldUntil) - now) / 1000);
      el.textContent = left > 0 ? `waiting · ${left} s left` : "waiting · the gate stopped holding the traveller";
      el.classList.toggle("urgent", left > 0 && left <= 10);
    }
  }
  setInterval(tick, 1000);
  tick();

  // --- live updates ---
  const es = new EventSource("/events");
  es.addEventListener("referrals", refreshQueue);
  es.addEventListener("crossings", refreshQueue); // a crossing record closes its referral
  es.addEventListener("commands", () => { refreshQueue(); refreshGates(); });
  es.addEventListener("gates", refreshGates);
  es.onopen = () => {
    document.body.dataset.live = "on";
    if (live) live.textContent = "live";
    refreshQueue();
    refreshGates();
  };
  es.onerror = () => {
    document.body.dataset.live = "off";
    if (live) live.textContent = "reconnecting…";
  };
  // A referral's state also changes with time alone (the gate gives up).
  setInterval(() => { refreshQueue(); if (gatesStale) refreshGates(); }, 15000);
})();
