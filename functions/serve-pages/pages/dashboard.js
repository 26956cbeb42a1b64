// A support lead's dashboard: signs in with the user pool (Cognito's InitiateAuth, username and
// password) or takes a pasted ID token, then shows /v2/reports as charts and a table. The
// charts show the whole desk (groupBy=none); the grouping picked adds a chart per group and
// fills the table. Everything it shows comes from the API that serves the page.
"use strict";

const dashboard = {
  config: null,
  token: sessionStorage.getItem("idToken"),
  charts: {},
  /** The last reports shown: the whole desk's, and the grouped one (or the same). */
  overall: null,
  grouped: null,
};
window.dashboard = dashboard;

const $ = (id) => document.getElementById(id);

const COLOURS = {
  created: "#2186eb",
  resolved: "#3ebd93",
  closed: "#7b8794",
  reopened: "#f0b429",
  backlog: "#e12d39",
  firstMedian: "#2186eb",
  firstP90: "#9fb3c8",
  resolutionMedian: "#3ebd93",
  resolutionP90: "#a3d9c3",
  met: "#3ebd93",
  breached: "#e12d39",
  good: "#3ebd93",
  bad: "#e12d39",
};
const GROUP_COLOURS = ["#2186eb", "#3ebd93", "#f0b429", "#e12d39", "#7b8794", "#9446ed", "#00b8d9", "#f7a6a6"];

function show(message) {
  $("message").textContent = message;
  $("message").hidden = !message;
}

/** A date as the date input shows it (the browser's own day). */
function isoDay(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

/** Who the token names and their role, read from its claims (for display only: the API decides). */
function whoIs(token) {
  try {
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const groups = claims["cognito:groups"] || [];
    const role = groups.includes("admins") ? "admin" : groups.includes("agents") ? "agent" : "client";
    return `${claims["cognito:username"] || claims.email || claims.sub} (${role})`;
  } catch {
    return "";
  }
}

function signedIn(token) {
  dashboard.token = token;
  if (token) {
    sessionStorage.setItem("idToken", token);
  } else {
    sessionStorage.removeItem("idToken");
  }
  $("sign-in").hidden = Boolean(token);
  $("report").hidden = !token;
  $("sign-out").hidden = !token;
  $("who").textContent = token ? whoIs(token) : "";
}

/** Cognito's InitiateAuth with the user's name and password: their ID token. */
async function signIn(username, password) {
  const { cognitoEndpoint, clientId } = dashboard.config;
  const response = await fetch(cognitoEndpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.message || "The user name or the password is wrong.");
  }
  if (!body.AuthenticationResult) {
    throw new Error(`This user must first finish signing in elsewhere (${body.ChallengeName}).`);
  }
  return body.AuthenticationResult.IdToken;
}

function query(groupBy) {
  const form = new FormData($("query"));
  const params = new URLSearchParams({
    from: form.get("from"),
    to: form.get("to"),
    interval: form.get("interval"),
    groupBy: groupBy ?? form.get("groupBy"),
  });
  return `/v2/reports?${params}`;
}

/** A request to the API with the token; an error carries the API's message. */
async function api(path, accept = "application/json") {
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${dashboard.token}`, Accept: accept },
  });
  if (response.ok) {
    return response;
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signedIn(null);
    throw new Error("Your session has ended: sign in again.");
  }
  const details = (body.details || []).map((d) => `${d.field} ${d.message}`).join("; ");
  throw new Error([body.error || `The API answered ${response.status}.`, details].filter(Boolean).join(": "));
}

function chart(id, type, labels, datasets, options = {}) {
  dashboard.charts[id]?.destroy();
  dashboard.charts[id] = new Chart($(id), {
    type,
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      ...options,
    },
  });
}

const series = (rows, pick) => rows.map(pick);
const bars = (label, data, colour, extra = {}) => ({ label, data, backgroundColor: colour, borderColor: colour, ...extra });
const stacked = { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } };

function renderCharts(overall) {
  const rows = overall.series;
  const labels = series(rows, (r) => r.period);
  chart("volumes", "bar", labels, [
    bars("Created", series(rows, (r) => r.created), COLOURS.created),
    bars("Resolved", series(rows, (r) => r.resolved), COLOURS.resolved),
    bars("Closed", series(rows, (r) => r.closed), COLOURS.closed),
    bars("Reopened", series(rows, (r) => r.reopened), COLOURS.reopened),
    bars("Backlog", series(rows, (r) => r.backlog), COLOURS.backlog, { type: "line" }),
  ], { scales: { y: { beginAtZero: true } } });
  const line = (label, data, colour) => bars(label, data, colour, { spanGaps: true });
  chart("times", "line", labels, [
    line("First response, median", series(rows, (r) => r.firstResponseMinutes.median), COLOURS.firstMedian),
    line("First response, p90", series(rows, (r) => r.firstResponseMinutes.p90), COLOURS.firstP90),
    line("Resolution, median", series(rows, (r) => r.resolutionMinutes.median), COLOURS.resolutionMedian),
    line("Resolution, p90", series(rows, (r) => r.resolutionMinutes.p90), COLOURS.resolutionP90),
  ], { scales: { y: { beginAtZero: true, title: { display: true, text: "minutes" } } } });
  chart("sla", "bar", labels, [
    bars("Met", series(rows, (r) => r.sla.met), COLOURS.met),
    bars("Breached", series(rows, (r) => r.sla.breached), COLOURS.breached),
  ], stacked);
  chart("satisfaction", "bar", labels, [
    bars("Good", series(rows, (r) => r.satisfaction.good), COLOURS.good),
    bars("Bad", series(rows, (r) => r.satisfaction.bad), COLOURS.bad),
  ], stacked);
}

const groupName = (report, group) => group ?? (report.groupBy === "agent" ? "(no agent)" : "all");

/** With a grouping: tickets created per period, a dataset per group. */
function renderGroups(grouped) {
  const figure = $("groups-figure");
  figure.hidden = grouped.groupBy === "none";
  if (figure.hidden) {
    dashboard.charts.groups?.destroy();
    delete dashboard.charts.groups;
    return;
  }
  $("groups-caption").textContent = `Created, by ${grouped.groupBy}`;
  const periods = [...new Set(grouped.series.map((r) => r.period))];
  const groups = [...new Set(grouped.series.map((r) => r.group))];
  const datasets = groups.map((group, n) => {
    const colour = GROUP_COLOURS[n % GROUP_COLOURS.length];
    const data = periods.map((period) => grouped.series.find((r) => r.period === period && r.group === group).created);
    return bars(groupName(grouped, group), data, colour);
  });
  chart("groups", "bar", periods, datasets, stacked);
}

function renderTotals(report) {
  const t = report.totals;
  const figures = [
    ["Created", t.created], ["Resolved", t.resolved], ["Closed", t.closed], ["Reopened", t.reopened],
    ["Backlog at the end", t.backlog],
    ["First response, median min", t.firstResponseMinutes.median ?? "–"],
    ["Resolution, median min", t.resolutionMinutes.median ?? "–"],
    ["SLA met / breached", `${t.sla.met} / ${t.sla.breached}`],
    ["Good / bad", `${t.satisfaction.good} / ${t.satisfaction.bad}`],
  ];
  $("totals").replaceChildren(...figures.map(([name, value]) => {
    const item = document.createElement("div");
    const term = document.createElement("dt");
    const number = document.createElement("dd");
    term.textContent = name;
    number.textContent = value;
    item.append(term, number);
    return item;
  }));
}

function renderTable(report) {
  const pair = (a, b) => `${a ?? "–"} / ${b ?? "–"}`;
  const rows = report.series.map((r) => {
    const row = document.createElement("tr");
    const cells = [
      r.period, groupName(report, r.group), r.created, r.resolved, r.closed, r.reopened, r.backlog,
      pair(r.firstResponseMinutes.median, r.firstResponseMinutes.p90),
      pair(r.resolutionMinutes.median, r.resolutionMinutes.p90),
      pair(r.sla.met, r.sla.breached), pair(r.satisfaction.good, r.satisfaction.bad),
    ];
    for (const value of cells) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.append(cell);
    }
    return row;
  });
  $("rows").tBodies[0].replaceChildren(...rows);
}

async function showReport() {
  show("");
  const groupBy = new FormData($("query")).get("groupBy");
  try {
    const overall = (await (await api(query("none"))).json()).data;
    const grouped = groupBy === "none" ? overall : (await (await api(query())).json()).data;
    dashboard.overall = overall;
    dashboard.grouped = grouped;
    renderTotals(overall);
    renderCharts(overall);
    renderGroups(grouped);
    renderTable(grouped);
    document.body.dataset.shown = `${grouped.from}/${grouped.to}/${grouped.interval}/${grouped.groupBy}`;
  } catch (error) {
    show(error.message);
  }
}

async function downloadCsv() {
  try {
    const response = await api(query(), "text/csv");
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    const form = new FormData($("query"));
    link.href = url;
    link.download = `report-${form.get("from")}-${form.get("to")}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    show(error.message);
  }
}

async function start() {
  const today = new Date();
  $("query").elements.to.value = isoDay(today);
  $("query").elements.from.value = isoDay(new Date(today.getTime() - 29 * 86400000));
  dashboard.config = await (await fetch("/pages/config.json")).json();
  $("password-form").hidden = !dashboard.config.clientId;

  $("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      show("");
      signedIn(await signIn(form.get("username"), form.get("password")));
      await showReport();
    } catch (error) {
      show(error.message);
    }
  });
  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    signedIn(new FormData(event.target).get("token").trim());
    await showReport();
  });
  $("query").addEventListener("submit", (event) => {
    event.preventDefault();
    showReport();
  });
  $("csv").addEventListener("click", downloadCsv);
  $("sign-out").addEventListener("click", () => {
    signedIn(null);
    show("");
  });

  signedIn(dashboard.token);
  if (dashboard.token) {
    await showReport();
  }
  document.body.dataset.ready = "true";
}

start();
