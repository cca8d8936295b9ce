// The Mini App's page: every data request carries Telegram's signed launch data (initData),
// which the server checks; the page itself holds no data. No framework, no CDN.
(function () {
  "use strict";
  var app = document.getElementById("app");
  var status = document.getElementById("status");
  var overview = document.getElementById("overview");
  var projects = document.getElementById("projects");
  var timeline = document.getElementById("timeline");
  var search = new URLSearchParams(location.search);
  var state = { year: search.get("year") || "", page: 1, sort: "id", order: "asc", q: "", status: "", light: "" };

  function launchData() {
    var telegram = window.Telegram && window.Telegram.WebApp;
    if (telegram && telegram.initData) { return telegram.initData; }
    return new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
  }
  var initData = launchData();

  function fail(response) {
    var key = response && response.status === 401 ? "unauthorized"
      : response && response.status === 403 ? "forbidden" : "failed";
    status.textContent = app.dataset[key];
    status.className = "status error";
    status.dataset.code = response ? String(response.status) : "0";
    status.hidden = false;
  }

  function load(path, target) {
    return fetch(path, { headers: { "X-Telegram-Init-Data": initData } }).then(function (response) {
      if (!response.ok) { fail(response); throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) { target.innerHTML = html; return target; });
  }

  function tableQuery() {
    var query = new URLSearchParams({ year: state.year, page: String(state.page), sort: state.sort,
      order: state.order, q: state.q, status: state.status, light: state.light });
    return "api/projects?" + query.toString();
  }

  function loadTable() { return load(tableQuery(), projects); }

  projects.addEventListener("click", function (event) {
    var target = event.target.closest("[data-sort],[data-page],[data-project]");
    if (!target || target.disabled) { return; }
    event.preventDefault();
    if (target.dataset.sort) {
      state.order = state.sort === target.dataset.sort && state.order === "asc" ? "desc" : "asc";
      state.sort = target.dataset.sort; state.page = 1; loadTable();
    } else if (target.dataset.page) {
      state.page = Number(target.dataset.page); loadTable();
    } else if (target.dataset.project) {
      load("api/projects/" + target.dataset.project, timeline).then(function () {
        timeline.hidden = false; timeline.scrollIntoView();
      }).catch(function () {});
    }
  });
  projects.addEventListener("submit", function (event) {
    event.preventDefault();
    var form = new FormData(event.target);
    state.q = String(form.get("q") || ""); state.status = String(form.get("status") || "");
    state.light = String(form.get("light") || ""); state.page = 1; loadTable();
  });
  timeline.addEventListener("click", function (event) {
    if (event.target.id === "close-timeline") { timeline.hidden = true; timeline.innerHTML = ""; }
  });

  if (window.Telegram && window.Telegram.WebApp) { window.Telegram.WebApp.ready(); }
  load("api/overview?year=" + encodeURIComponent(state.year), overview).then(function () {
    state.year = overview.querySelector("[data-year]").dataset.year;
    return loadTable();
  }).then(function () { status.hidden = true; document.body.dataset.ready = "1"; })
    .catch(function () {});
})();
