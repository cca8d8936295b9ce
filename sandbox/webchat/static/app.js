// The web chat on the offline sandbox: people on the left, Telegram-like chats on the right.
// Message HTML comes from the server already escaped and limited to Telegram's tags.
"use strict";

const state = { people: [], chats: {}, unread: {}, panels: [], focused: null, options: null };
const $ = (selector, root = document) => root.querySelector(selector);
const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: "服务器没有回答。" }));
  if (!response.ok || !answer.ok) throw new Error(answer.error || "操作没有成功。");
  return answer;
}

function toast(text, alert = false) {
  const box = $("#toast");
  box.textContent = text;
  box.className = alert ? "alert" : "";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, alert ? 5000 : 2500);
}

function person(id) { return state.people.find((p) => p.id === id); }
function describe(p) { return [p.role, p.organisation].filter(Boolean).join(" · ") || "未登记"; }
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
// Timestamps come on the bot's clock (moved by the training clock), in the bureau's zone.
function zone() { return (state.clock && state.clock.timezone) || "Asia/Shanghai"; }
function day(seconds) {
  return new Date(seconds * 1000).toLocaleDateString("en-CA", { timeZone: zone() });
}
function clock(seconds) {
  const d = new Date(seconds * 1000);
  const time = d.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", timeZone: zone() });
  const today = state.clock ? state.clock.today : day(Date.now() / 1000);
  const [, month, date] = day(seconds).split("-").map(Number);
  return day(seconds) === today ? time : `${month}月${date}日 ${time}`;
}
function size(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1048576) return (bytes / 1024).toFixed(1) + " KB";
  return (bytes / 1048576).toFixed(1) + " MB";
}

// --- people list --------------------------------------------------------------------------

function drawPeople() {
  const list = $("#people");
  const filter = $("#filter").value.trim();
  list.replaceChildren();
  for (const p of state.people) {
    const text = p.name + describe(p);
    if (filter && !text.includes(filter)) continue;
    const item = el("li");
    item.dataset.person = p.id;
    if (state.panels.includes(p.id)) item.classList.add("open");
    const avatar = el("span", "avatar", p.name.slice(0, 1));
    avatar.style.background = COLORS[p.id % COLORS.length];
    const words = el("span", "person-text");
    words.append(el("b", "", p.name), el("small", "", describe(p)));
    const unread = el("span", "unread", state.unread[p.id] ? String(state.unread[p.id]) : "");
    const beside = el("button", "side-by-side", "并排");
    beside.type = "button";
    beside.title = "在旁边再开一个窗口";
    beside.addEventListener("click", (event) => { event.stopPropagation(); openPanel(p.id, true); });
    item.append(avatar, words, unread, beside);
    item.addEventListener("click", () => openPanel(p.id, false));
    list.append(item);
  }
}

// --- panels -------------------------------------------------------------------------------

function panelOf(id) { return document.querySelector(`.panel[data-panel="${id}"]`); }

function openPanel(id, beside) {
  if (!state.panels.includes(id)) {
    if (!beside && state.focused !== null && state.panels.length) {
      const index = state.panels.indexOf(state.focused);
      panelOf(state.focused)?.remove();
      state.panels[index] = id;
    } else {
      state.panels.push(id);
    }
    const panel = buildPanel(id);
    const after = state.panels.indexOf(id);
    const next = state.panels[after + 1];
    $("#panels").insertBefore(panel, next !== undefined ? panelOf(next) : null);
  }
  focus(id);
}

function focus(id) {
  state.focused = id;
  state.unread[id] = 0;
  document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("focused", Number(p.dataset.panel) === id));
  $("#app").classList.toggle("no-panel", state.panels.length === 0);
  $("#panels .empty")?.toggleAttribute("hidden", state.panels.length > 0);
  drawPeople();
  panelOf(id)?.querySelector(".text").focus({ preventScroll: true });
}

function closePanel(id) {
  panelOf(id)?.remove();
  state.panels = state.panels.filter((p) => p !== id);
  state.focused = state.panels.length ? state.panels[state.panels.length - 1] : null;
  if (state.focused !== null) focus(state.focused);
  $("#app").classList.toggle("no-panel", state.panels.length === 0);
  $("#panels .empty")?.toggleAttribute("hidden", state.panels.length > 0);
  drawPeople();
}

function buildPanel(id) {
  const panel = $("#panel-template").content.firstElementChild.cloneNode(true);
  panel.dataset.panel = id;
  panel.addEventListener("mousedown", () => { if (state.focused !== id) focus(id); });
  $(".close", panel).addEventListener("click", (e) => { e.stopPropagation(); closePanel(id); });
  $(".back", panel).addEventListener("click", () => closePanel(id));
  $(".export", panel).href = `/webchat/api/export/${id}`;
  $(".export", panel).setAttribute("download", "");
  $(".composer", panel).addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $(".text", panel);
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    $(".menu", panel).hidden = true;
    send(id, text);
  });
  $(".menu-button", panel).addEventListener("click", () => { const m = $(".menu", panel); m.hidden = !m.hidden; });
  $(".attach input", panel).addEventListener("change", (event) => upload(id, event.target));
  $(".messages", panel).addEventListener("click", (event) => {
    const command = event.target.closest(".cmd");
    if (command) send(id, command.dataset.command);
    const spoiler = event.target.closest(".tg-spoiler");
    if (spoiler) spoiler.classList.add("shown");
  });
  drawHead(id, panel);
  const list = $(".messages", panel);
  for (const message of state.chats[id] || []) list.append(drawMessage(id, message));
  list.scrollTop = list.scrollHeight;
  return panel;
}

function drawHead(id, panel = panelOf(id)) {
  const p = person(id);
  if (!panel || !p) return;
  $(".name", panel).textContent = p.name;
  $(".meta", panel).textContent = describe(p);
  const menu = $(".menu", panel);
  menu.replaceChildren();
  for (const command of p.commands) {
    const button = el("button");
    button.type = "button";
    button.append(el("b", "", "/" + command.command), el("span", "", command.description));
    button.addEventListener("click", () => { menu.hidden = true; send(id, "/" + command.command); });
    menu.append(button);
  }
  $(".menu-button", panel).hidden = p.commands.length === 0;
  const keyboard = $(".reply-keyboard", panel);
  keyboard.replaceChildren();
  for (const row of p.keyboard) {
    const line = el("div");
    for (const label of row) {
      const button = el("button", "", label);
      button.type = "button";
      button.addEventListener("click", () => send(id, label));
      line.append(button);
    }
    keyboard.append(line);
  }
  keyboard.hidden = p.keyboard.length === 0;
}

function drawMessage(chatId, m) {
  const item = el("li", m.from_bot ? "msg" : "msg mine");
  item.dataset.message = m.id;
  const bubble = el("div", "bubble");
  if (m.photo) bubble.append(drawPreview(m.photo));
  if (m.album) item.dataset.album = m.album;
  if (m.document) bubble.append(drawFile(m.document));
  if (m.html !== undefined) {
    const body = el("div", "body");
    body.innerHTML = m.html; // escaped and tag-limited on the server (render.entities_to_html)
    bubble.append(body);
  }
  const stamp = el("span", "time", (m.edited ? "已编辑 " : "") + clock(m.date));
  stamp.title = new Date(m.sent * 1000).toLocaleString("zh-CN", { timeZone: zone() });
  bubble.append(stamp);
  item.append(bubble);
  if (m.keyboard.length) {
    const keyboard = el("div", "kb");
    for (const row of m.keyboard) {
      const line = el("div", "kb-row");
      for (const b of row) {
        if (b.url) {
          const link = el("a", "", b.text + " ↗");
          link.href = b.url; link.target = "_blank"; link.rel = "noopener noreferrer";
          line.append(link);
        } else {
          const button = el("button", "", b.text);
          button.type = "button";
          button.addEventListener("click", () => press(chatId, m.id, b.data, button));
          line.append(button);
        }
      }
      keyboard.append(line);
    }
    item.append(keyboard);
  }
  return item;
}

function drawPreview(file) {
  const link = el("a");
  link.href = file.url; link.target = "_blank";
  const image = el("img", "preview");
  image.src = file.url; image.alt = file.name;
  link.append(image);
  return link;
}

function drawFile(file) {
  if (file.preview === "image") {
    const box = el("div");
    box.append(drawPreview(file));
    return box;
  }
  const card = el("a", "file");
  card.href = file.url + "?download=1";
  card.setAttribute("download", file.name);
  const kind = file.preview || "file";
  const icon = el("span", "icon " + kind, kind === "file" ? "⬇" : kind.toUpperCase());
  const words = el("span");
  words.append(el("b", "", file.name), el("small", "", size(file.size) + " · 点击下载"));
  card.append(icon, words);
  if (kind !== "docx" && kind !== "xlsx") return card;
  const box = el("div", "file-box");
  const toggle = el("button", "preview-toggle", "👁 预览");
  toggle.type = "button";
  const shown = el("div", "doc-preview");
  shown.hidden = true;
  toggle.addEventListener("click", () => togglePreview(file, toggle, shown));
  box.append(card, toggle, shown);
  return box;
}

async function togglePreview(file, toggle, shown) {
  if (!shown.hidden) { shown.hidden = true; toggle.textContent = "👁 预览"; return; }
  shown.hidden = false;
  toggle.textContent = "收起预览";
  if (shown.dataset.loaded) return;
  shown.textContent = "正在生成预览…";
  try {
    const response = await fetch(`/webchat/api/preview/${encodeURIComponent(file.file_id)}`);
    const answer = await response.json().catch(() => ({ ok: false, error: "服务器没有回答。" }));
    if (!response.ok || !answer.ok) throw new Error(answer.error || "无法预览。");
    shown.innerHTML = answer.html; // drawn and escaped on the server (webchat/preview.py)
    shown.dataset.loaded = "1";
  } catch (error) {
    shown.textContent = error.message;
  }
  shown.scrollIntoView({ block: "nearest" });
}

// --- acting -------------------------------------------------------------------------------

async function send(id, text) {
  try { await api("/webchat/api/send", { user_id: id, text }); } catch (error) { toast(error.message); }
}

async function press(id, messageId, data, button) {
  button.disabled = true;
  try { await api("/webchat/api/press", { user_id: id, message_id: messageId, data }); }
  catch (error) { toast(error.message); }
  finally { setTimeout(() => { button.disabled = false; }, 800); }
}

async function upload(id, input) {
  const file = input.files[0];
  if (!file) return;
  const form = new FormData();
  form.append("user_id", id);
  form.append("file", file);
  input.value = "";
  const response = await fetch("/webchat/api/upload", { method: "POST", body: form });
  if (!response.ok) toast((await response.json().catch(() => ({}))).error || "文件没有发出去。");
}

// --- live updates -------------------------------------------------------------------------

function apply(event) {
  if (event.type === "snapshot") {
    state.people = event.people;
    state.chats = {};
    for (const [id, messages] of Object.entries(event.chats)) state.chats[id] = messages;
    state.options = event.options;
    $("#bot-name").textContent = event.bot;
    document.querySelectorAll(".panel").forEach((p) => p.remove());
    const open = state.panels.filter((id) => person(id));
    state.panels = [];
    for (const id of open) openPanel(id, true);
    extras(event);
    drawPeople();
    return;
  }
  if (event.type === "people") {
    state.people = event.people;
    state.panels.forEach((id) => drawHead(id));
    drawPeople();
    return;
  }
  if (event.type === "extras") { extras(event); return; }
  const id = event.chat_id;
  const messages = (state.chats[id] = state.chats[id] || []);
  const panel = panelOf(id);
  const list = panel && $(".messages", panel);
  if (event.type === "message" || event.type === "edit") {
    const m = event.message;
    const index = messages.findIndex((x) => x.id === m.id);
    if (index >= 0) messages[index] = m; else messages.push(m);
    if (!list) {
      if (event.type === "message" && m.from_bot) { state.unread[id] = (state.unread[id] || 0) + 1; drawPeople(); }
      return;
    }
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const drawn = drawMessage(id, m);
    const old = list.querySelector(`[data-message="${m.id}"]`);
    if (old) { old.replaceWith(drawn); if (event.type === "edit") drawn.classList.add("flash"); }
    else list.append(drawn);
    if (nearBottom || !m.from_bot || !old) list.scrollTop = list.scrollHeight;
    if (m.from_bot) $(".typing", panel).hidden = true;
    // Side by side every panel is in view; on a phone only the focused one is.
    const hidden = state.focused !== id && window.matchMedia("(max-width: 700px)").matches;
    if (hidden && event.type === "message" && m.from_bot) {
      state.unread[id] = (state.unread[id] || 0) + 1; drawPeople();
    }
  } else if (event.type === "delete") {
    state.chats[id] = messages.filter((x) => x.id !== event.message_id);
    list?.querySelector(`[data-message="${event.message_id}"]`)?.remove();
  } else if (event.type === "answer") {
    if (event.text && state.panels.includes(id)) toast(event.text, event.alert);
  } else if (event.type === "action" && panel) {
    const typing = $(".typing", panel);
    typing.hidden = false;
    setTimeout(() => { typing.hidden = true; }, 4000);
  }
}

function redrawTimes(id) {
  // "Today" moved: a message from yesterday now shows its date next to the time.
  const panel = panelOf(id);
  if (!panel) return;
  for (const m of state.chats[id] || []) {
    const stamp = panel.querySelector(`[data-message="${m.id}"] .time`);
    if (stamp) stamp.textContent = (m.edited ? "已编辑 " : "") + clock(m.date);
  }
}

function extras(event) {
  if (event.clock) {
    const moved = !state.clock || state.clock.offset_days !== event.clock.offset_days;
    state.clock = event.clock;
    if (moved) state.panels.forEach((id) => redrawTimes(id));
    $("#clock").hidden = false;
    $("#clock-today").textContent = event.clock.today;
    $("#clock-offset").textContent = event.clock.offset_days ? `（已前进 ${event.clock.offset_days} 天）` : "";
  }
  const replay = event.replay || { state: "none" };
  $("#replay").hidden = replay.state === "none";
  $("#replay").disabled = replay.state !== "idle";
  const note = $("#replay-state");
  const words = { running: "演示场景回放中…（左边会出现演示里的人）", done: "演示场景已回放完。", failed: "演示回放中断：" + (replay.error || "") };
  note.hidden = !words[replay.state];
  note.textContent = words[replay.state] || "";
  note.classList.toggle("failed", replay.state === "failed");
}

function connect() {
  const source = new EventSource("/webchat/events");
  source.onopen = () => { $("#conn").textContent = "已连接"; $("#conn").classList.remove("off"); };
  source.onerror = () => { $("#conn").textContent = "连接断开，重连中…"; $("#conn").classList.add("off"); };
  source.onmessage = (message) => apply(JSON.parse(message.data));
}

// --- training tools -----------------------------------------------------------------------

function setUpTools() {
  $("#filter").addEventListener("input", drawPeople);
  document.querySelectorAll("#clock button").forEach((button) => button.addEventListener("click", async () => {
    try {
      const answer = await api("/webchat/api/clock", { days: Number(button.dataset.days) });
      extras({ clock: answer.clock, replay: null });
      toast(`机器人的“今天”已是 ${answer.clock.today}`);
    } catch (error) { toast(error.message); }
  }));
  $("#replay").addEventListener("click", async () => {
    try { await api("/webchat/api/replay", {}); } catch (error) { toast(error.message); }
  });
  const dialog = $("#person-dialog");
  $("#add-person").addEventListener("click", () => {
    const fill = (select, choices) => select.replaceChildren(...choices.map((c) => {
      const option = el("option", "", c.label); option.value = c.value; return option;
    }));
    fill($("#role-select"), state.options.roles);
    fill($("#org-select"), state.options.organisations);
    $("#person-error").textContent = "";
    dialog.showModal();
  });
  $("#person-cancel").addEventListener("click", () => dialog.close());
  $("#person-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    try {
      const answer = await api("/webchat/api/people", data);
      dialog.close();
      event.target.reset();
      setTimeout(() => openPanel(answer.user_id, false), 300);
    } catch (error) { $("#person-error").textContent = error.message; }
  });
}

setUpTools();
connect();
