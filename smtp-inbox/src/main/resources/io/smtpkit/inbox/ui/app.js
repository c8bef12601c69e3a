// The smtpkit inbox page. Every value shown comes from mail someone else wrote: it is put in
// the page with textContent and attributes only, never as HTML. The HTML part is a separate,
// sandboxed document (/view/ID.html) in an iframe.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    messages: [],      // the list as last fetched, newest first
    selected: -1,      // index the keyboard is on
    openId: null,      // the message shown
    open: null,        // its JSON
    tab: "html",
    remote: new Set(), // ids whose remote content the user allowed
    query: "",
    total: 0,
    unread: 0,
  };

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function api(path, options) {
    return fetch(path, Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {}));
  }

  function address(a) {
    if (!a) return "";
    if (a.Name && a.Address) return a.Name + " <" + a.Address + ">";
    return a.Name || a.Address || "";
  }

  function addresses(list) {
    return (list || []).map(address).join(", ");
  }

  function size(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1024 / 1024).toFixed(1) + " MiB";
  }

  function when(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const now = new Date();
    if (d.toDateString() === now.toDateString()) {
      return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    }
    return d.toLocaleDateString() + " " + d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // ---- the list ----

  let reloading = null;
  let reloadAgain = false;

  async function reload() {
    if (reloading) { reloadAgain = true; return reloading; }
    reloading = (async () => {
      try {
        const path = state.query
          ? "/api/v1/search?limit=500&query=" + encodeURIComponent(state.query)
          : "/api/v1/messages?limit=500";
        const r = await api(path);
        if (!r.ok) return;
        const page = await r.json();
        state.messages = page.messages || [];
        state.total = page.total;
        state.unread = page.unread;
        renderList();
      } finally {
        reloading = null;
        if (reloadAgain) { reloadAgain = false; reload(); }
      }
    })();
    return reloading;
  }

  let reloadTimer = null;
  function scheduleReload() {
    // Mail can arrive in bursts: one fetch per burst, not one per message.
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => { reloadTimer = null; reload(); }, 80);
  }

  function renderList() {
    const list = $("list");
    list.replaceChildren();
    state.messages.forEach((m, i) => {
      const li = el("li", "msg-item");
      li.dataset.id = m.ID;
      if (!m.Read) li.classList.add("unread");
      if (m.ID === state.openId) li.classList.add("open");
      if (i === state.selected) li.classList.add("selected");
      const top = el("div", "row");
      top.append(el("span", "from", address(m.From) || "(no sender)"), el("span", "when", when(m.Created)));
      const mid = el("div", "row");
      mid.append(el("span", "subj", m.Subject || "(no subject)"));
      if (m.Attachments > 0) mid.append(el("span", "clip", m.Attachments === 1 ? "1 file" : m.Attachments + " files"));
      li.append(top, mid, el("div", "snip", m.Snippet));
      li.addEventListener("click", () => { state.selected = i; openMessage(m.ID, true); });
      list.append(li);
    });
    if (state.selected >= state.messages.length) state.selected = state.messages.length - 1;
    $("empty").hidden = state.messages.length > 0;
    $("empty").textContent = state.query ? "No message matches the search." : "No messages yet. Send mail to this server and it appears here.";
    const shown = state.query ? state.messages.length + " of " + state.total : String(state.total);
    $("counts").textContent = shown + " message" + (state.total === 1 ? "" : "s") + (state.unread ? ", " + state.unread + " unread" : "");
    document.title = (state.unread ? "(" + state.unread + ") " : "") + "smtpkit inbox";
  }

  function select(index) {
    if (state.messages.length === 0) return;
    state.selected = Math.max(0, Math.min(state.messages.length - 1, index));
    const items = $("list").children;
    for (let i = 0; i < items.length; i++) items[i].classList.toggle("selected", i === state.selected);
    const item = items[state.selected];
    if (item) item.scrollIntoView({ block: "nearest" });
  }

  // ---- one message ----

  async function openMessage(id, push) {
    const r = await api("/api/v1/message/" + encodeURIComponent(id));
    if (push && location.pathname !== "/view/" + id) history.pushState({ id: id }, "", "/view/" + encodeURIComponent(id));
    if (!r.ok) {
      state.openId = null;
      state.open = null;
      $("message").hidden = true;
      $("placeholder").hidden = false;
      $("placeholder").textContent = r.status === 404 ? "This message is not in the inbox (deleted, or dropped to keep the newest)." : "Cannot load the message.";
      return;
    }
    const m = await r.json();
    state.openId = id;
    state.open = m;
    const index = state.messages.findIndex((x) => x.ID === id);
    if (index >= 0) state.selected = index;
    document.body.classList.add("reading");
    renderMessage(m);
    renderList();
  }

  function renderMessage(m) {
    $("placeholder").hidden = true;
    $("message").hidden = false;
    $("subject").textContent = m.Subject || "(no subject)";
    const meta = $("meta");
    meta.replaceChildren();
    const rows = [
      ["From", address(m.From)],
      ["To", addresses(m.To)],
      ["Cc", addresses(m.Cc)],
      ["Bcc", addresses(m.Bcc)],
      ["Reply-To", addresses(m.ReplyTo)],
      ["Envelope from", m.Envelope ? "<" + m.Envelope.From + ">" : m.ReturnPath],
      ["Envelope to", m.Envelope ? m.Envelope.To.join(", ") : ""],
      ["Date", new Date(m.Date).toLocaleString()],
      ["Size", size(m.Size)],
    ];
    for (const [name, value] of rows) {
      if (!value) continue;
      const tr = el("tr");
      tr.append(el("th", null, name), el("td", null, value));
      tr.dataset.field = name;
      meta.append(tr);
    }
    $("problem").hidden = !m.Problem;
    $("problem").textContent = m.Problem ? "This message is not valid MIME (" + m.Problem + "); the raw source shows it as sent." : "";
    $("download-raw").href = "/api/v1/message/" + encodeURIComponent(m.ID) + "/raw?dl=1";
    $("download-raw").setAttribute("download", m.ID + ".eml");
    $("text").textContent = m.Text || "(no text part)";
    const headers = $("headers");
    headers.replaceChildren();
    $("raw").textContent = "";
    const attachments = $("attachments");
    attachments.replaceChildren();
    const files = (m.Attachments || []).concat(m.Inline || []);
    for (const a of files) {
      const li = el("li");
      const link = el("a", null, a.FileName || "part " + a.PartID);
      link.href = "/api/v1/message/" + encodeURIComponent(m.ID) + "/part/" + encodeURIComponent(a.PartID);
      link.setAttribute("download", a.FileName || "part-" + a.PartID);
      link.rel = "noopener noreferrer";
      li.append(link, el("span", "type", a.ContentType + ", " + size(a.Size) + (a.ContentID ? ", inline" : "")));
      attachments.append(li);
    }
    if (files.length === 0) attachments.append(el("li", null, "No attachments."));
    $("attachment-count").textContent = files.length ? "(" + files.length + ")" : "";
    $("remote").checked = state.remote.has(m.ID);
    const tab = m.HTML ? state.tab : state.tab === "html" ? "text" : state.tab;
    showTab(tab, false);
  }

  function frameSource(m) {
    return "/view/" + encodeURIComponent(m.ID) + ".html" + (state.remote.has(m.ID) ? "?remote=1" : "");
  }

  async function showTab(name, remember) {
    if (remember !== false) state.tab = name;
    const m = state.open;
    for (const b of $("tabs").querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === name);
    for (const p of document.querySelectorAll(".panel")) p.classList.toggle("active", p.dataset.panel === name);
    if (!m) return;
    const frame = $("html-frame");
    if (name === "html") {
      if (m.HTML) {
        const src = frameSource(m);
        if (frame.getAttribute("src") !== src) frame.setAttribute("src", src);
      } else {
        frame.removeAttribute("src");
      }
    }
    if (name === "headers" && $("headers").children.length === 0) {
      const r = await api("/api/v1/message/" + encodeURIComponent(m.ID) + "/headers");
      if (r.ok && state.open === m) {
        const all = await r.json();
        for (const key of Object.keys(all)) {
          for (const value of all[key]) {
            const tr = el("tr");
            tr.append(el("th", null, key), el("td", null, value));
            $("headers").append(tr);
          }
        }
      }
    }
    if (name === "raw" && $("raw").textContent === "") {
      const r = await api("/api/v1/message/" + encodeURIComponent(m.ID) + "/raw");
      if (r.ok && state.open === m) $("raw").textContent = await r.text();
    }
  }

  async function deleteIds(ids) {
    await api("/api/v1/messages", {
      method: "DELETE",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ IDs: ids }),
    });
  }

  async function deleteOpen() {
    const id = state.openId || (state.messages[state.selected] || {}).ID;
    if (!id) return;
    const index = state.messages.findIndex((x) => x.ID === id);
    await deleteIds([id]);
    closeMessage();
    await reload();
    select(Math.min(index, state.messages.length - 1));
  }

  async function deleteAll() {
    if (state.query) {
      if (!confirm("Delete the " + state.messages.length + " messages matching the search?")) return;
      await api("/api/v1/search?query=" + encodeURIComponent(state.query), { method: "DELETE" });
    } else {
      if (!confirm("Delete all " + state.total + " messages?")) return;
      await api("/api/v1/messages", { method: "DELETE" });
    }
    closeMessage();
    await reload();
  }

  function closeMessage() {
    state.openId = null;
    state.open = null;
    $("message").hidden = true;
    $("placeholder").hidden = false;
    $("placeholder").textContent = "Select a message (j / k to move, Enter to open).";
    $("html-frame").removeAttribute("src");
    document.body.classList.remove("reading");
    if (location.pathname !== "/") history.pushState({}, "", "/");
  }

  // ---- live updates ----

  function connect() {
    const source = new EventSource("/api/events");
    source.onopen = () => { $("live").classList.add("on"); scheduleReload(); };
    source.onerror = () => $("live").classList.remove("on");
    source.addEventListener("new", scheduleReload);
    source.addEventListener("read", scheduleReload);
    source.addEventListener("delete", (e) => {
      let ids = [];
      try { ids = JSON.parse(e.data).IDs || []; } catch (ignored) { /* reload anyway */ }
      if (state.openId && ids.includes(state.openId)) closeMessage();
      scheduleReload();
    });
  }

  // ---- wiring ----

  function idFromPath() {
    const match = /^\/view\/([A-Za-z0-9_-]+)$/.exec(location.pathname);
    return match ? match[1] : null;
  }

  document.addEventListener("DOMContentLoaded", async () => {
    for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => showTab(b.dataset.tab));
    $("delete").addEventListener("click", deleteOpen);
    $("delete-all").addEventListener("click", deleteAll);
    $("back").addEventListener("click", closeMessage);
    $("home").addEventListener("click", (e) => { e.preventDefault(); closeMessage(); });
    $("remote").addEventListener("change", () => {
      if (!state.open) return;
      if ($("remote").checked) state.remote.add(state.open.ID); else state.remote.delete(state.open.ID);
      showTab("html");
    });
    let searchTimer = null;
    $("search").addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => { state.query = $("search").value.trim(); state.selected = -1; reload(); }, 200);
    });
    document.addEventListener("keydown", (e) => {
      const typing = e.target instanceof HTMLInputElement;
      if (typing) {
        if (e.key === "Escape") { $("search").blur(); }
        if (e.key === "Enter") { $("search").blur(); select(0); }
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      // Enter or space on a focused button or link is that control's own click.
      if ((e.key === "Enter" || e.key === " ") && (e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement)) return;
      switch (e.key) {
        case "j": case "ArrowDown": select(state.selected + 1); e.preventDefault(); break;
        case "k": case "ArrowUp": select(state.selected - 1); e.preventDefault(); break;
        case "Enter": case "o": {
          const m = state.messages[state.selected];
          if (m) openMessage(m.ID, true);
          break;
        }
        case "Escape": closeMessage(); break;
        case "Delete": case "#": deleteOpen(); break;
        case "/": $("search").focus(); e.preventDefault(); break;
        default:
      }
    });
    window.addEventListener("popstate", () => {
      const id = idFromPath();
      if (id) openMessage(id, false); else closeMessage();
    });
    await reload();
    const id = idFromPath();
    if (id) openMessage(id, false);
    connect();
  });
})();
