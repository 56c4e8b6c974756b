// A homeowner's journey through scripts/develop in a real browser (run by scripts/e2e, not by CI).
//
// Environment: HA_URL, SIMULATOR_URL (the servers scripts/develop started), E2E_CACHE (where
// playwright-core is installed), E2E_OUT (screenshots), E2E_PROFILE (a new, empty Chromium
// profile dir; default: a new temporary dir), CHROMIUM (default /usr/bin/chromium).
// Steps: log in as dev/dev; Settings > Devices & services > Add integration > Enode; environment
// Custom with the simulator's URLs and demo-client/demo-secret; device types vehicle + EV charger;
// the brand in Link UI; in the new tab choose Volkswagen, sign in, connect; back in Home Assistant
// the charger step (the ID.4 cannot control charging alone) links the Zaptec charger; finish; then
// the devices, some entity states and Repairs are checked; the brand icon: Home Assistant 2026.3+
// serves brand/icon.png (checked), 2026.2 asks brands.home-assistant.io (checked, then answered with
// brand/'s images for a preview screenshot); the ID.4 is plugged into the Zaptec on the
// simulator's page and its charging switch, turned on from the device page, must move exactly once
// (off -> on: no blip when Enode confirms) and cost at most 3 requests at Enode (push is healthy:
// no action polls); the smart charging deadline is on the ID.4's device
// page (the pair makes the car eligible) and smart charging, turned on there, gets a plan; Configure
// links the Tesla (the flow ends naming it, and the entry's title follows), and its phone-key repair
// is fixed from Repairs (Submit -> Link UI -> sign in -> Connect -> the repair is gone). Then
// Configure links the Tesla home energy system (battery, solar inverter and meter in one Link UI
// session: the flow names all three), their devices and entities are checked, the Powerwall's
// operation mode is changed in its device page's dropdown (Home Assistant and the simulator
// follow), and the Tado thermostat is linked and its thermostat card used. Then (seed 004)
// Configure > Unlink a charger unlinks the Zaptec after a confirmation that says what follows per
// vehicle; the mandatory "link your charger" repair is back (no Ignore), the ID.4's Charge switch is
// unavailable and its Charger pairing says "Charger required"; the repair links the Zaptec again.
// Finally Enode fails (the simulator's control API): the ID.4 turns unavailable, and once Enode
// answers again it is back within the first retry backoff. The upfront charger note is checked in
// the device-types and brand steps. The flow texts are checked on the way. Every step leaves a
// screenshot.
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const require = createRequire(path.join(process.env.E2E_CACHE, "package.json"));
// The integration's own brand images (Home Assistant 2026.3+ serves them; 2026.2 does not).
const BRAND = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "custom_components", "enode", "brand");
const { chromium } = require("playwright-core");

const HA = process.env.HA_URL;
const SIM = process.env.SIMULATOR_URL;
const OUT = process.env.E2E_OUT;
const TIMEOUT = 30_000;
mkdirSync(OUT, { recursive: true });

let shotNo = 0;
const shots = [];
async function shot(page, name) {
  shotNo += 1;
  const file = path.join(OUT, `${String(shotNo).padStart(2, "0")}-${name}.png`);
  // Headless Chromium does not paint background tabs: bring the tab to the front first.
  await page.bringToFront();
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
  console.log(`screenshot ${file}`);
}

const failures = [];
let checks = 0;
function check(ok, message) {
  checks += 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${message}`);
  if (!ok) failures.push(message);
}

function step(message) {
  console.log(`\n== ${message}`);
}

// A new, empty profile (user data dir) for every run.
// (scripts/e2e passes one inside its temporary run dir, which it removes afterwards)
const profile = process.env.E2E_PROFILE || mkdtempSync(path.join(tmpdir(), "enode-e2e-chromium-"));
mkdirSync(profile, { recursive: true });
const context = await chromium.launchPersistentContext(
  profile,
  {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    locale: "en-US",
    timezoneId: "Europe/Oslo",
  },
);
context.setDefaultTimeout(TIMEOUT);
// Only loopback: anything else is refused (and reported).
const offsite = new Set();
// The brand images the frontend asked for, off loopback (2026.2: brands.home-assistant.io).
const brandRequests = new Set();
await context.route(
  (url) => !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname),
  (route) => {
    const url = new URL(route.request().url());
    offsite.add(url.origin);
    if (url.hostname !== "brands.home-assistant.io") console.log(`refused ${url.origin}${url.pathname}`);
    else if (url.pathname.includes("/enode/")) brandRequests.add(url.href);
    return route.abort();
  },
);
const page = context.pages()[0] ?? (await context.newPage());
const consoleErrors = [];
const notFound = new Set();
page.on("response", (response) => {
  const { pathname } = new URL(response.url());
  // (source maps name .ts sources that Home Assistant does not serve)
  if (response.status() === 404 && !pathname.endsWith(".ts")) notFound.add(pathname);
});
page.on("console", (msg) => {
  if (msg.type() === "error") consoleErrors.push(msg.text());
});

// The flow dialog (HA's dialog-data-entry-flow); Playwright's locators pierce shadow roots.
const dialog = () => page.locator("dialog-data-entry-flow");
// The visible text of an element, through shadow roots (innerText stops at them).
async function deepText(locator) {
  return locator.evaluate((root) => {
    const parts = [];
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        parts.push(node.textContent);
        return;
      }
      if (node.nodeName === "STYLE" || node.nodeName === "SCRIPT") return;
      if (node.shadowRoot) walk(node.shadowRoot);
      for (const child of node.childNodes) walk(child);
    };
    walk(root);
    return parts.join(" ").replace(/\s+/g, " ");
  });
}
const dialogText = () => deepText(dialog());

async function waitForDialogText(text) {
  await dialog().getByText(text, { exact: false }).first().waitFor();
  await page.waitForTimeout(500); // let the dialog finish its animation before the screenshot
}

async function clickDialogButton(name) {
  await dialog().getByRole("button", { name, exact: false }).last().click();
}

// The next tab the page opens (a rejection after a failure elsewhere is not reported twice).
function nextPopup() {
  const popup = context.waitForEvent("page");
  popup.catch(() => {});
  return popup;
}

// Link UI opens in a new tab (HA opens the external step with window.open): follow it there.
async function linkInPopup(popupPromise, { brand, label, intro = "Choose the brand of your vehicle or EV charger." }) {
  const popup = await popupPromise;
  await popup.waitForLoadState();
  check(popup.url().startsWith(SIM + "/link/"), `${label}: Link UI opened in a new tab (${popup.url().split("/link/")[0]}/link/...)`);
  if (brand) {
    await popup.getByRole("heading", { name: "Select your brand" }).waitFor();
    await shot(popup, `${label}-linkui-brands`);
    const shown = await popup.locator("main > p").nth(1).innerText();
    check(shown === intro, `${label}: the brand page asks for the right devices ("${shown}")`);
    await popup.getByRole("button", { name: new RegExp(`^${brand}\\b`) }).click();
  }
  await popup.getByLabel("Username", { exact: true }).waitFor();
  await shot(popup, `${label}-linkui-signin`);
  // A wrong password first: the page must say so and let the person try again.
  await popup.getByLabel("Username", { exact: true }).fill("anna@example.com");
  await popup.getByLabel("Password", { exact: true }).fill("wrong");
  await popup.getByRole("button", { name: "Sign in" }).click();
  await popup.getByRole("alert").waitFor();
  check(
    (await popup.getByRole("alert").innerText()).includes("Wrong username or password"),
    `${label}: a wrong password is reported on the sign-in page`,
  );
  await shot(popup, `${label}-linkui-wrong-password`);
  await popup.getByLabel("Password", { exact: true }).fill("demo");
  await popup.getByRole("button", { name: "Sign in" }).click();
  await popup.getByRole("heading", { name: "Devices found" }).waitFor();
  await shot(popup, `${label}-linkui-devices`);
  const closed = popup.waitForEvent("close", { timeout: 15_000 }).then(() => true, () => false);
  await popup.getByRole("button", { name: "Connect" }).click();
  // The callback page of the integration resumes the flow and closes the tab.
  await popup.waitForLoadState().catch(() => {});
  if (!popup.isClosed()) {
    await shot(popup, `${label}-callback`).catch(() => {});
  }
  check(await closed, `${label}: the Link UI tab closed itself after connecting`);
}

// The states of a device's entities (by friendly name), read from the frontend's own connection.
async function deviceStates(deviceName) {
  return page.evaluate((name) => {
    const hass = document.querySelector("home-assistant").hass;
    return Object.values(hass.states)
      .filter((s) => String(s.attributes.friendly_name || "").startsWith(`${name} `))
      .map((s) => ({
        entity_id: s.entity_id,
        name: s.attributes.friendly_name,
        state: s.state,
        unit: s.attributes.unit_of_measurement,
      }));
  }, deviceName);
}

// The toggle of a switch's row on a device page, by the row's name (the device name stripped).
function toggleRow(name) {
  return page
    .locator("hui-toggle-entity-row")
    .filter({ has: page.getByText(name, { exact: true }) })
    .locator("ha-entity-toggle ha-switch")
    .first();
}

function describe(states) {
  return states.map((s) => `${s.name} = ${s.state}${s.unit ? ` ${s.unit}` : ""}`).join("; ");
}

// Configure > Link more devices: choose the device types (instead of the preselected vehicle)
// and the brand, link in Link UI; the dialog is left open on the flow's last message.
async function linkMore({ types, brand, label }) {
  await page.goto(`${HA}/config/integrations/integration/enode`);
  await page.getByRole("button", { name: "Configure" }).first().waitFor();
  await page.getByRole("button", { name: "Configure" }).first().click({ force: true });
  await waitForDialogText("Link more devices");
  await dialog().getByText("Link more devices", { exact: true }).click();
  await waitForDialogText("Choose what to connect");
  await dialog().getByRole("checkbox", { name: "Electric vehicle" }).uncheck();
  for (const name of types) await dialog().getByRole("checkbox", { name }).check();
  await shot(page, `options-${label}-types`);
  await clickDialogButton("Submit");
  await waitForDialogText("Choose the brand");
  await dialog().getByRole("combobox").first().click();
  await page.getByRole("option", { name: new RegExp(`^${brand}`) }).click();
  await shot(page, `options-${label}-vendor`);
  const popup = nextPopup();
  await clickDialogButton("Submit");
  await linkInPopup(popup, { brand: null, label });
  await page.waitForTimeout(1500);
  await shot(page, `options-${label}-done`);
}

let exitCode = 1;
try {
  step("Log in as dev/dev");
  await page.goto(HA);
  await page.getByLabel("Username", { exact: true }).fill("dev");
  await page.getByLabel("Password", { exact: true }).fill("dev");
  await shot(page, "login");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/auth/"));
  await page.locator("ha-sidebar").waitFor();

  step("Settings > Devices & services > Add integration > Enode");
  await page.locator("ha-sidebar").getByText("Settings", { exact: true }).click();
  await page.getByText("Devices & services", { exact: true }).first().click();
  await page.waitForURL(/\/config\/integrations/);
  await page.getByRole("button", { name: "Add integration" }).waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "integrations");
  await page.getByRole("button", { name: "Add integration" }).click();
  const search = page.getByRole("textbox", { name: /Search for a brand name/ });
  await search.fill("Enode");
  await page.waitForTimeout(800);
  await shot(page, "add-integration-search");
  await page.locator("ha-integration-list-item").filter({ hasText: "Enode" }).first().click();

  step("Config flow: credentials (environment Custom, the simulator's URLs)");
  await waitForDialogText("Connect to Enode");
  await shot(page, "flow-user-empty");
  const text = await dialogText();
  check(text.includes("Custom"), "the environment list offers Custom (advanced mode)");
  // The URL hints name the simulator this scripts/develop started (SIMULATOR_PORT: a free port here).
  const simPort = new URL(SIM).port;
  // (the frontend shows the URLs as links: the text comes in pieces)
  const hint = (suffix) => new RegExp(`for the simulator: ${SIM.replaceAll(".", "\\.")}${suffix}\\s*\\)`);
  check(
    hint("").test(text) && hint("/oauth2/token").test(text) && !new RegExp(`127\\.0\\.0\\.1:(?!${simPort})\\d+`).test(text),
    `the URL hints name this run's simulator port (${simPort}), not always 8234`,
  );
  await dialog().getByRole("radio", { name: "Custom" }).check();
  await dialog().getByLabel("Client ID", { exact: true }).fill("demo-client");
  await dialog().getByLabel("Client secret", { exact: true }).fill("demo-secret");
  // A token URL without http:// first: the form must say what is wrong.
  await dialog().getByLabel("API URL", { exact: true }).fill(SIM);
  await dialog().getByLabel("Token URL", { exact: true }).fill("127.0.0.1/oauth2/token");
  await clickDialogButton("Submit");
  await waitForDialogText("http://");
  await shot(page, "flow-user-invalid-url");
  check(
    (await dialogText()).includes("Enter a URL starting with http:// or https://"),
    "an invalid token URL is explained on the form",
  );
  await dialog().getByLabel("Token URL", { exact: true }).fill(`${SIM}/oauth2/token`);
  await dialog().getByLabel("Client secret", { exact: true }).fill("demo-secret");
  await shot(page, "flow-user-filled");
  await clickDialogButton("Submit");

  step("Config flow: device types (vehicle + EV charger)");
  await waitForDialogText("Choose what to connect");
  check(
    (await dialogText()).includes("some vehicles can start and stop charging only through a linked home charger"),
    "the first step says upfront that a vehicle may need its charger linked too (seed 004)",
  );
  await dialog().getByRole("checkbox", { name: /charger/i }).check();
  await shot(page, "flow-asset-types");
  await clickDialogButton("Submit");

  step("Config flow: brand (choose it in Link UI)");
  await waitForDialogText("Choose the brand");
  await shot(page, "flow-vendor");
  const vendorText = await dialogText();
  check(
    vendorText.includes("(Electric vehicle, EV charger)") && !/all of: vehicle, charger/.test(vendorText),
    "the brand step names the device types readably (Electric vehicle, EV charger)",
  );
  check(!/outage cannot be linked right now/.test(vendorText) && !/: -\./.test(vendorText), "the brand step has no outage sentence when no brand is in an outage");
  // Link UI opens as soon as the next step arrives: this step says what to do there.
  check(
    vendorText.includes("When you submit, Enode Link UI opens in a new window") &&
      vendorText.includes("sign in to your brand's account there and connect the devices"),
    "the brand step explains what happens in Link UI before it opens",
  );
  let popupPromise = nextPopup();
  await clickDialogButton("Submit");

  step("Link UI: Cancel first, then try again");
  await waitForDialogText("external website");
  await shot(page, "flow-link-external");
  const externalText = await dialogText();
  // (Home Assistant's own text and button; hassfest allows no description of ours here)
  check(externalText.includes("external website"), "the Link UI step offers to open the website again");
  const cancelled = await popupPromise;
  await cancelled.getByRole("heading", { name: "Select your brand" }).waitFor();
  const cancelledClosed = cancelled.waitForEvent("close", { timeout: 15_000 }).then(() => true, () => false);
  await cancelled.getByRole("button", { name: "Cancel" }).click();
  check(await cancelledClosed, "the Link UI tab closed itself after Cancel");
  await waitForDialogText("Linking was cancelled");
  await shot(page, "flow-link-cancelled");
  const cancelledText = await dialogText();
  check(/Try again/.test(cancelledText), "after Cancel the flow offers to try again");
  check(
    cancelledText.includes("You cancelled linking in Enode Link UI, so no devices were linked. Try again") &&
      !cancelledText.includes("cancelled_by_user") &&
      !cancelledText.includes(".."),
    "the cancel is explained in a translated sentence (no error code, no doubled full stop)",
  );
  popupPromise = nextPopup();
  await dialog().getByText("Try again", { exact: true }).click();

  step("Link UI: Volkswagen (the ID.4)");
  await waitForDialogText("external website");
  await linkInPopup(popupPromise, { brand: "Volkswagen", label: "vw" });

  step("Config flow: charger onboarding (the ID.4 cannot control charging alone)");
  await waitForDialogText("Link your EV charger");
  await shot(page, "flow-charger-required");
  check((await dialogText()).includes("Anna's ID.4"), "the charger step names the vehicle");
  await dialog().getByText("Link my charger", { exact: true }).click();
  await waitForDialogText("Choose the brand");
  await dialog().getByRole("combobox").first().click();
  await page.getByRole("option", { name: /^Zaptec/ }).click();
  await shot(page, "flow-vendor-charger");
  popupPromise = nextPopup();
  await clickDialogButton("Submit");
  await waitForDialogText("external website");
  await linkInPopup(popupPromise, { brand: null, label: "zaptec" });

  step("Config flow: created");
  await waitForDialogText("Devices created");
  await shot(page, "flow-created");
  const created = await dialogText();
  const names = await dialog()
    .getByRole("textbox", { name: "Device name" })
    .evaluateAll((inputs) => inputs.map((input) => input.value));
  console.log(`devices created: ${names.join(", ")}`);
  check(created.includes("ID.4") && names.includes("Anna's ID.4"), "the success dialog lists Anna's ID.4");
  check(created.includes("Zaptec") && names.includes("Zaptec Go"), "the success dialog lists the Zaptec Go");
  await clickDialogButton("finish");
  await dialog().waitFor({ state: "hidden" });

  step("Devices and entities");
  await page.goto(`${HA}/config/integrations/integration/enode`);
  await page.getByText("Anna's ID.4").first().waitFor();
  await page.waitForTimeout(1500);
  await shot(page, "integration-page");

  step("Brand icon: what this Home Assistant shows, and what 2026.3 shows from brand/");
  const version = await page.evaluate(() => document.querySelector("home-assistant").hass.config.version);
  const token = await page.evaluate(() => document.querySelector("home-assistant").hass.auth.data.access_token);
  // Home Assistant 2026.3+ serves a custom integration's brand/ images at /api/brands/...
  const local = await page.request.get(`${HA}/api/brands/integration/enode/icon.png`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const ours = readFileSync(path.join(BRAND, "icon.png"));
  if (local.status() === 200) {
    check(Buffer.compare(await local.body(), ours) === 0, `Home Assistant ${version} serves the integration's own brand/icon.png`);
  } else {
    // 2026.2: no local brand images; the frontend asks Home Assistant's brands server (no Enode icon there).
    check(local.status() === 404, `Home Assistant ${version} has no local brand images (${local.status()}): it is older than 2026.3`);
    check(
      [...brandRequests].some((url) => url.startsWith("https://brands.home-assistant.io/") && url.endsWith("/enode/icon.png")),
      `the ${version} frontend asks brands.home-assistant.io for the Enode icon (${[...brandRequests].join(", ") || "nothing"})`,
    );
    // What 2026.3 shows: answer those requests with brand/'s images, as its brands API would.
    const fallbacks = { "dark_icon.png": "icon.png", "dark_icon@2x.png": "icon@2x.png" };
    await page.route("https://brands.home-assistant.io/**/enode/*.png", (route) => {
      const name = path.basename(new URL(route.request().url()).pathname);
      const file = [name, fallbacks[name], "icon.png"].find((n) => n && existsSync(path.join(BRAND, n)));
      return route.fulfill({ status: 200, contentType: "image/png", body: readFileSync(path.join(BRAND, file)) });
    });
    await page.reload();
    await page.getByText("Anna's ID.4").first().waitFor();
    await page.waitForTimeout(1500);
    const shown = await page.evaluate(() =>
      (function find(root) {
        for (const el of root.querySelectorAll("img")) {
          if (el.src.includes("/enode/") && el.complete && el.naturalWidth > 0) return el.src;
        }
        for (const el of root.querySelectorAll("*")) {
          if (el.shadowRoot) {
            const src = find(el.shadowRoot);
            if (src) return src;
          }
        }
        return null;
      })(document),
    );
    await shot(page, "integration-page-brand-preview");
    check(shown !== null, `preview: with brand/'s icon served (as 2026.3 does) the integration page shows it (${shown})`);
    await page.unroute("https://brands.home-assistant.io/**/enode/*.png");
  }
  await page.goto(`${HA}/config/devices/dashboard?historyBack=1&domain=enode`);
  await page.getByText("Anna's ID.4").first().waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "devices");
  await page.getByText("Anna's ID.4").first().click();
  await page.waitForURL(/\/config\/devices\/device\//);
  await page.getByText("Battery").first().waitFor();
  await page.waitForTimeout(1500);
  await shot(page, "device-id4");
  const id4 = await deviceStates("Anna's ID.4");
  console.log(`Anna's ID.4: ${describe(id4)}`);
  const battery = id4.find((s) => s.entity_id.startsWith("sensor.") && / Battery$/.test(s.name));
  check(battery !== undefined && Number(battery.state) === 45, `the ID.4's battery is 45 % (${battery?.state})`);
  const pairing = id4.find((s) => / Charger pairing$/.test(s.name));
  check(pairing !== undefined && pairing.state !== "unknown", `the ID.4 reports its charger pairing (${pairing?.state})`);
  check(id4.length >= 10 && id4.every((s) => s.state !== "unavailable"), `the ID.4 has ${id4.length} entities, none unavailable`);
  const zaptec = await deviceStates("Zaptec Go");
  console.log(`Zaptec Go: ${describe(zaptec)}`);
  const maxCurrent = zaptec.find((s) => s.entity_id.startsWith("number.") && s.unit === "A");
  check(maxCurrent !== undefined && Number(maxCurrent.state) === 16, `the Zaptec's maximum current is 16 A (${maxCurrent?.state})`);
  check(zaptec.length >= 5 && zaptec.every((s) => s.state !== "unavailable"), `the Zaptec has ${zaptec.length} entities, none unavailable`);

  step("Charging: the ID.4's switch moves once when Enode confirms (no off/on blip)");
  const chargingSwitch = id4.find((s) => s.entity_id.startsWith("switch.") && / Charge$/.test(s.name));
  const chargingSensor = id4.find((s) => s.entity_id.startsWith("binary_sensor.") && / Charging$/.test(s.name));
  const pluggedSensor = id4.find((s) => s.entity_id.startsWith("binary_sensor.") && / Plugged in$/.test(s.name));
  // Plug the ID.4 into the Zaptec on the simulator's own page, as a tester would.
  const simPage = await context.newPage();
  await simPage.goto(`${SIM}/_simulator/`);
  // This Home Assistant's Enode user is listed after the simulator's demo-user.
  await simPage.locator("table").last().getByRole("button", { name: "Plug into Zaptec" }).click();
  await simPage.waitForLoadState();
  await shot(simPage, "simulator-plugged");
  await simPage.close();
  await page.bringToFront();
  await page.waitForFunction(
    (id) => document.querySelector("home-assistant").hass.states[id]?.state === "on",
    pluggedSensor?.entity_id,
    { timeout: 60_000 },
  ).catch(() => {});
  check(
    (await deviceStates("Anna's ID.4")).find((s) => s.entity_id === pluggedSensor?.entity_id)?.state === "on",
    "Home Assistant shows the ID.4 plugged in (pushed by the simulator's webhook)",
  );
  await page.getByText("Controls").first().waitFor();
  check(chargingSwitch?.state === "off", `the ID.4's charging switch is off before (${chargingSwitch?.state})`);
  // Every state change of the switch, from the frontend's own connection.
  await page.evaluate(async (entityId) => {
    const hass = document.querySelector("home-assistant").hass;
    window.__enodeChanges = [];
    window.__enodeUnsub = await hass.connection.subscribeEvents((event) => {
      if (event.data.entity_id === entityId) {
        window.__enodeChanges.push([event.data.old_state?.state, event.data.new_state?.state]);
      }
    }, "state_changed");
  }, chargingSwitch?.entity_id);
  // What the command costs at Enode (the simulator's request log): with push healthy, its POST
  // and nothing else (the outcome and the car's new state are pushed).
  const simRequests = async () => (await fetch(`${SIM}/_simulator/requests`)).json();
  const requestsBefore = (await simRequests()).count;
  await toggleRow("Charge").click();
  // Enode (the simulator) confirms after its action delay; the car then reports that it charges.
  await page.waitForFunction(
    (id) => document.querySelector("home-assistant").hass.states[id]?.state === "on",
    chargingSensor?.entity_id,
    { timeout: 60_000 },
  ).catch(() => {});
  await page.waitForTimeout(3000);
  const changes = await page.evaluate(() => {
    window.__enodeUnsub();
    return window.__enodeChanges;
  });
  await shot(page, "device-id4-charging");
  check(
    JSON.stringify(changes) === JSON.stringify([["off", "on"]]),
    `turning charging on moved the switch once: ${JSON.stringify(changes)}`,
  );
  const commandRequests = (await simRequests()).requests
    .slice(requestsBefore)
    .map((r) => `${r.method} ${r.path}`);
  check(
    commandRequests.length <= 3 &&
      commandRequests.some((r) => /^POST \/vehicles\/[^/]+\/charging$/.test(r)) &&
      !commandRequests.some((r) => r.includes("/actions/")),
    `the command cost ${commandRequests.length} request(s) at Enode, none polling its action (${commandRequests.join(", ")})`,
  );
  const charging = await deviceStates("Anna's ID.4");
  check(
    charging.find((s) => s.entity_id === chargingSensor?.entity_id)?.state === "on",
    "the ID.4 charges once Enode confirmed the command",
  );

  step("Smart charging: the deadline on the ID.4's device page; turned on, Enode plans the charge");
  // The pair with the Zaptec makes the ID.4 eligible (it cannot control charging by itself).
  await page.getByText("Charging deadline").first().waitFor();
  const smart = await deviceStates("Anna's ID.4");
  const deadline = smart.find((s) => s.entity_id.startsWith("time.") && / Charging deadline$/.test(s.name));
  const smartState = smart.find((s) => / Smart charging state$/.test(s.name));
  const plannedEnd = smart.find((s) => / Planned charging end$/.test(s.name));
  check(deadline !== undefined, `the ID.4's device page has the charging deadline (${deadline?.entity_id})`);
  check(smartState?.state === "disabled", `smart charging is off to begin with (${smartState?.state})`);
  check(
    smart.some((s) => s.entity_id.startsWith("switch.") && / Charge now$/.test(s.name)),
    "the ID.4 has a Charge now switch",
  );
  // Set the deadline as the time row's more-info does, then turn smart charging on from the page.
  await page.evaluate(
    (id) => document.querySelector("home-assistant").hass.callService("time", "set_value", { entity_id: id, time: "07:00:00" }),
    deadline?.entity_id,
  );
  await toggleRow("Smart charging").click();
  // Smart charging plans where the car charges at a Location: the Zaptec has none yet for this
  // Enode user, and the state says so.
  await page.waitForFunction(
    (id) => document.querySelector("home-assistant").hass.states[id]?.state === "considering",
    smartState?.entity_id,
    { timeout: 30_000 },
  ).catch(() => {});
  const considering = await page.evaluate(
    (id) => document.querySelector("home-assistant").hass.states[id],
    smartState?.entity_id,
  );
  check(
    considering?.state === "considering" && considering.attributes.at_charging_location === false,
    `smart charging waits for a charging location (${considering?.state}, at_charging_location ${considering?.attributes?.at_charging_location})`,
  );
  await shot(page, "device-id4-smart-charging-considering");
  // Give the Zaptec its charging location (Home Assistant's home), as enode.set_charging_location does.
  await page.evaluate(() => {
    const hass = document.querySelector("home-assistant").hass;
    const entity = Object.values(hass.entities).find(
      (e) => e.platform === "enode" && e.entity_id.startsWith("number.zaptec_go"),
    );
    return hass.callService("enode", "set_charging_location", { device_id: entity.device_id });
  });
  await page.waitForFunction(
    (id) => String(document.querySelector("home-assistant").hass.states[id]?.state).startsWith("plan_"),
    smartState?.entity_id,
    { timeout: 60_000 },
  ).catch(() => {});
  await page.waitForTimeout(1500);
  await shot(page, "device-id4-smart-charging");
  const planned = await deviceStates("Anna's ID.4");
  const plannedState = planned.find((s) => s.entity_id === smartState?.entity_id)?.state;
  check(String(plannedState).startsWith("plan_"), `Enode made a plan (${plannedState})`);
  check(
    !["unknown", "unavailable", undefined].includes(planned.find((s) => s.entity_id === plannedEnd?.entity_id)?.state),
    `the planned charging end is shown (${planned.find((s) => s.entity_id === plannedEnd?.entity_id)?.state})`,
  );
  check(
    planned.find((s) => / Enrolled in smart charging$/.test(s.name))?.state === "on",
    "the ID.4 is enrolled in smart charging",
  );

  step("Repairs: nothing to do for the ID.4 and the Zaptec once they are paired");
  await page.goto(`${HA}/config/repairs`);
  await page.locator("ha-config-repairs-dashboard").waitFor();
  await page.waitForTimeout(1500);
  await shot(page, "repairs-none");
  let repairs = await deepText(page.locator("ha-config-repairs-dashboard"));
  check(!/Link your charger/.test(repairs), "no 'link your charger' repair once the Zaptec is linked");
  // (the Zaptec has its charging location by now: the ID.4, without GPS, has its location too)
  check(/no repairs pending/.test(repairs), "Repairs has nothing pending");

  step("Options: link more devices (the Tesla, with a pending phone-key intervention)");
  await page.goto(`${HA}/config/integrations/integration/enode`);
  await page.getByText("Anna's ID.4, Zaptec Go").first().waitFor();
  // (the cog icon inside the button takes the pointer events: Playwright calls that obscured)
  await page.getByRole("button", { name: "Configure" }).first().click({ force: true });
  await waitForDialogText("Link more devices");
  await shot(page, "options-menu");
  await dialog().getByText("Link more devices", { exact: true }).click();
  await waitForDialogText("Choose what to connect");
  await clickDialogButton("Submit");
  await waitForDialogText("Choose the brand");
  check(
    (await dialogText()).includes("Before you link your vehicle: if it cannot start and stop charging on its own, you also need to link your home charger"),
    "linking a vehicle alone, the brand step repeats the charger note before Link UI opens",
  );
  await dialog().getByRole("combobox").first().click();
  await page.getByRole("option", { name: /^Tesla/ }).click();
  await shot(page, "options-vendor-tesla");
  popupPromise = nextPopup();
  await clickDialogButton("Submit");
  await linkInPopup(popupPromise, { brand: null, label: "tesla" });
  await page.waitForTimeout(1500);
  await shot(page, "options-done");
  const optionsDone = await dialogText().catch(() => "");
  console.log(`options flow ended with: ${optionsDone}`);
  check(
    optionsDone.includes("Linked Batmobile.") && !optionsDone.includes("Options successfully saved"),
    "linking from Configure ends naming what was linked (not 'Options successfully saved')",
  );
  await clickDialogButton("Close");
  await dialog().waitFor({ state: "hidden" });
  await page.getByText("Batmobile").first().waitFor();
  await shot(page, "integration-page-tesla");
  const entryTitles = await page.evaluate(async () =>
    (await document.querySelector("home-assistant").hass.callWS({ type: "config_entries/get", domain: "enode" })).map((e) => e.title),
  );
  check(
    entryTitles.length === 1 && ["Anna's ID.4", "Batmobile", "Zaptec Go"].every((name) => entryTitles[0].includes(name)),
    `the entry's title follows the linked devices (was "Anna's ID.4, Zaptec Go", now "${entryTitles.join("; ")}")`,
  );

  step("Repairs: the Tesla's intervention");
  await page.goto(`${HA}/config/repairs`);
  await page.locator("ha-config-repairs-dashboard").getByText("Batmobile").first().waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "repairs-tesla");
  repairs = await deepText(page.locator("ha-config-repairs-dashboard"));
  console.log(repairs);
  check(/Batmobile: /.test(repairs), "Repairs lists the Batmobile's intervention");
  await page.locator("ha-config-repairs-dashboard").getByText("Batmobile").first().click();
  await waitForDialogText("Enode Link UI");
  await shot(page, "repair-tesla-open");
  const repair = await dialogText();
  check(/phone key/.test(repair) && /relink Batmobile in Enode Link UI/.test(repair), "the repair explains the phone key and offers to relink the Batmobile");

  step("Repairs: fix the phone key (Submit -> Link UI -> sign in -> Connect)");
  popupPromise = nextPopup();
  await clickDialogButton("Submit");
  await linkInPopup(popupPromise, { brand: null, label: "repair-tesla" });
  await page.waitForTimeout(1500);
  await shot(page, "repair-tesla-done");
  const repairDone = await dialogText().catch(() => "");
  console.log(`the repair flow ended with: ${repairDone}`);
  await clickDialogButton("Close").catch(() => {});
  await dialog().waitFor({ state: "hidden" });
  await page.goto(`${HA}/config/repairs`);
  await page.locator("ha-config-repairs-dashboard").waitFor();
  await page.waitForTimeout(1500);
  await shot(page, "repairs-after-fix");
  repairs = await deepText(page.locator("ha-config-repairs-dashboard"));
  check(
    /no repairs pending/.test(repairs) && !/Batmobile/.test(repairs),
    "the Batmobile's phone-key repair is gone after relinking (no repairs pending)",
  );

  step("Options: link the home energy system (battery + solar inverter + meter, one Link UI session)");
  await linkMore({
    types: ["Home battery", "Solar inverter", "Energy meter"],
    brand: "Tesla",
    label: "tesla-home",
  });
  const homeDone = await dialogText().catch(() => "");
  console.log(`the home energy link ended with: ${homeDone}`);
  check(
    ["Tesla Powerwall 2", "Tesla Solar Inverter 7.6", "Tesla Backup Gateway 2"].every((name) => homeDone.includes(name)),
    "linking battery + inverter + meter ends naming all three devices",
  );
  await clickDialogButton("Close");
  await dialog().waitFor({ state: "hidden" });

  step("Home energy devices and their entities");
  await page.goto(`${HA}/config/devices/dashboard?historyBack=1&domain=enode`);
  await page.getByText("Tesla Powerwall 2").first().waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "devices-home-energy");
  const powerwall = await deviceStates("Tesla Powerwall 2");
  const inverter = await deviceStates("Tesla Solar Inverter 7.6");
  const meter = await deviceStates("Tesla Backup Gateway 2");
  for (const [name, states] of [["Powerwall", powerwall], ["inverter", inverter], ["meter", meter]]) {
    console.log(`${name}: ${describe(states)}`);
    check(states.length >= 3 && states.every((s) => s.state !== "unavailable"), `the ${name} has ${states.length} entities, none unavailable`);
  }
  const level = powerwall.find((s) => s.entity_id.startsWith("sensor.") && / Battery$/.test(s.name));
  check(level !== undefined && Number(level.state) > 0 && level.unit === "%", `the Powerwall reports its level (${level?.state} %)`);
  const lifetime = inverter.find((s) => / Lifetime production$/.test(s.name));
  check(lifetime !== undefined && Number(lifetime.state) >= 18234.5 && lifetime.unit === "kWh", `the inverter reports its lifetime production (${lifetime?.state} kWh)`);
  const grid = meter.find((s) => / Grid power$/.test(s.name));
  check(grid !== undefined && !Number.isNaN(Number(grid.state)) && grid.unit === "kW", `the meter reports the grid power (${grid?.state} kW)`);

  step("The Energy dashboard from Enode's statistics (grid, solar, battery; the ID.4 as an individual device)");
  // Linking the home energy system starts an import at once: wait for its statistics in the recorder.
  const HEM_KEYS = ["grid_import", "grid_export", "solar_production", "battery_charge", "battery_discharge", "household_consumption"];
  const hemStat = (stats, key) => stats.find((s) => s.statistic_id.startsWith("enode:hem_") && s.statistic_id.endsWith(`_${key}`));
  let enodeStats = [];
  for (let attempt = 0; attempt < 40; attempt += 1) {
    enodeStats = await page.evaluate(async () =>
      (await document.querySelector("home-assistant").hass.callWS({ type: "recorder/list_statistic_ids", statistic_type: "sum" }))
        .filter((s) => s.source === "enode"),
    );
    if (HEM_KEYS.every((key) => hemStat(enodeStats, key)) && enodeStats.some((s) => / Charging energy$/.test(s.name ?? ""))) break;
    await page.waitForTimeout(1000);
  }
  console.log(enodeStats.map((s) => `${s.statistic_id}: ${s.name} (${s.statistics_unit_of_measurement})`).join("\n"));
  check(HEM_KEYS.every((key) => hemStat(enodeStats, key)?.statistics_unit_of_measurement === "kWh"), "the home energy system's six statistics (kWh) are in the recorder");
  const id4Energy = enodeStats.find((s) => s.name === "Anna's ID.4 Charging energy");
  check(id4Energy?.statistics_unit_of_measurement === "kWh", `the ID.4's charging energy is a statistic named after it (${id4Energy?.statistic_id})`);
  const id4Cost = enodeStats.find((s) => s.name === "Anna's ID.4 Charging cost");
  // In the currency of the ID.4's smart charging plans (EUR at the simulator), else Home Assistant's (NOK).
  check(["EUR", "NOK"].includes(id4Cost?.statistics_unit_of_measurement), `the ID.4's charging cost is a statistic in a currency (${id4Cost?.statistics_unit_of_measurement})`);
  const energyPrefs = {
    energy_sources: [
      {
        type: "grid",
        flow_from: [{ stat_energy_from: hemStat(enodeStats, "grid_import")?.statistic_id, stat_cost: null, entity_energy_price: null, number_energy_price: null }],
        flow_to: [{ stat_energy_to: hemStat(enodeStats, "grid_export")?.statistic_id, stat_compensation: null, entity_energy_price: null, number_energy_price: null }],
        cost_adjustment_day: 0,
      },
      { type: "solar", stat_energy_from: hemStat(enodeStats, "solar_production")?.statistic_id, config_entry_solar_forecast: null },
      { type: "battery", stat_energy_from: hemStat(enodeStats, "battery_discharge")?.statistic_id, stat_energy_to: hemStat(enodeStats, "battery_charge")?.statistic_id },
    ],
    device_consumption: [{ stat_consumption: id4Energy?.statistic_id, name: "Anna's ID.4" }],
  };
  // The preferences are saved as the Energy settings page does (energy/save_prefs), then validated.
  const validation = await page.evaluate(async (prefs) => {
    const hass = document.querySelector("home-assistant").hass;
    await hass.callWS({ type: "energy/save_prefs", ...prefs });
    return hass.callWS({ type: "energy/validate" });
  }, energyPrefs);
  console.log(`energy/validate: ${JSON.stringify(validation)}`);
  check(
    validation.energy_sources.every((issues) => issues.length === 0) && validation.device_consumption.every((issues) => issues.length === 0),
    "energy/validate reports no issue for grid, solar, battery and the ID.4 from Enode",
  );
  await page.goto(`${HA}/config/energy`);
  await page.waitForTimeout(2500);
  await shot(page, "energy-settings");
  const energySettings = await deepText(page.locator("ha-panel-config"));
  check(/Grid import/.test(energySettings) && /Solar production/.test(energySettings), "Settings > Dashboards > Energy lists Enode's grid and solar statistics");
  // The charts animate in, and headless Chromium animates only the tab in front: front, and no motion.
  await page.emulateMedia({ reducedMotion: "reduce" });
  await page.goto(`${HA}/energy`);
  await page.bringToFront();
  await page.locator("hui-energy-usage-graph-card").first().waitFor({ timeout: TIMEOUT }).catch(() => {});
  await page.waitForTimeout(8000);
  await shot(page, "energy-dashboard-today");
  // Yesterday: a whole simulated day of history (the period selector's previous button).
  // (its floating bar's icon takes the pointer events: click the button itself)
  const movedBack = await page
    .getByRole("button", { name: "Previous" })
    .first()
    .evaluate((button) => {
      button.click();
      return true;
    })
    .catch(() => false);
  await page.bringToFront();
  await page.waitForTimeout(8000);
  check(movedBack, "the Energy dashboard's period moves back to yesterday");
  await shot(page, "energy-dashboard-yesterday");
  const energyText = await deepText(page.locator("ha-panel-energy, ha-panel-lovelace").first()).catch(() => "");
  check(/kWh/.test(energyText), "the Energy dashboard shows kWh from Enode's statistics");
  await page.emulateMedia({ reducedMotion: null });
  // Back to the home energy devices for the next steps.
  await page.goto(`${HA}/config/devices/dashboard?historyBack=1&domain=enode`);
  await page.getByText("Tesla Powerwall 2").first().waitFor();
  await page.waitForTimeout(1000);

  step("The Powerwall's operation mode, changed in the UI");
  const mode = powerwall.find((s) => s.entity_id.startsWith("select."));
  check(mode?.state === "self_reliance", `the Powerwall starts in self-reliance (${mode?.state})`);
  await page.getByText("Tesla Powerwall 2").first().click();
  await page.waitForURL(/\/config\/devices\/device\//);
  await page.getByText("Controls").first().waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "device-powerwall");
  // The select is a dropdown in the device page's Controls card.
  await page.locator("ha-select").filter({ hasText: "Operation mode" }).first().click();
  await page.getByRole("option", { name: "Time of use" }).waitFor();
  await page.waitForTimeout(500);
  await shot(page, "powerwall-mode-open");
  const offered = await page.getByRole("option").allInnerTexts();
  console.log(`operation modes offered: ${offered.map((text) => text.trim()).join(", ")}`);
  check(
    offered.some((text) => /Time of use/.test(text)) && !offered.some((text) => /^\s*Idle\s*$/.test(text)),
    "the dropdown offers the Powerwall's modes (Time of use; no Idle: the Powerwall cannot idle)",
  );
  // Every state change of the select, from the frontend's own connection.
  await page.evaluate(async (entityId) => {
    const hass = document.querySelector("home-assistant").hass;
    window.__enodeChanges = [];
    window.__enodeUnsub = await hass.connection.subscribeEvents((event) => {
      const { old_state: before, new_state: now } = event.data;
      if (event.data.entity_id === entityId && before?.state !== now?.state) {
        window.__enodeChanges.push([before?.state, now?.state]);
      }
    }, "state_changed");
  }, mode?.entity_id);
  await page.getByRole("option", { name: "Time of use" }).click();
  // Enode (the simulator) confirms after its action delay.
  const simModes = async () => {
    const simState = await (await fetch(`${SIM}/_simulator/state`)).json();
    return simState.assets.filter((a) => a.information?.model === "Powerwall 2").map((a) => a.config.operationMode);
  };
  let modes = await simModes();
  for (let i = 0; i < 30 && !modes.includes("TIME_OF_USE"); i += 1) {
    await page.waitForTimeout(1000);
    modes = await simModes();
  }
  check(modes.includes("TIME_OF_USE"), `the simulator's Powerwall is in TIME_OF_USE (${modes.join(", ")})`);
  await page.waitForTimeout(3000);
  const modeChanges = await page.evaluate(() => {
    window.__enodeUnsub();
    return window.__enodeChanges;
  });
  await shot(page, "powerwall-mode-time-of-use");
  const after = (await deviceStates("Tesla Powerwall 2")).find((s) => s.entity_id === mode?.entity_id);
  check(after?.state === "time_of_use", `the Powerwall's mode is now time of use in Home Assistant (${after?.state})`);
  check(
    JSON.stringify(modeChanges) === JSON.stringify([["self_reliance", "time_of_use"]]),
    `choosing the mode moved the select once: ${JSON.stringify(modeChanges)}`,
  );

  step("Options: link the Tado thermostat (HVAC)");
  await linkMore({ types: ["Heating and cooling (HVAC)"], brand: "Tado", label: "tado" });
  const tadoDone = await dialogText().catch(() => "");
  check(tadoDone.includes("Linked Living room."), `linking the HVAC ends naming it (${tadoDone})`);
  await clickDialogButton("Close");
  await dialog().waitFor({ state: "hidden" });

  step("The Living room thermostat card");
  await page.goto(`${HA}/config/devices/dashboard?historyBack=1&domain=enode`);
  // (exact: Home Assistant's default areas include a "Living Room")
  await page.getByText("Living room", { exact: true }).first().waitFor();
  await page.getByText("Living room", { exact: true }).first().click();
  await page.waitForURL(/\/config\/devices\/device\//);
  await page.getByText("Controls").first().waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "device-living-room");
  const thermostat = (await deviceStates("Living room")).concat(
    await page.evaluate(() => {
      const s = document.querySelector("home-assistant").hass.states["climate.living_room"];
      return s ? [{ entity_id: s.entity_id, name: s.attributes.friendly_name, state: s.state }] : [];
    }),
  );
  console.log(`Living room: ${describe(thermostat)}`);
  check(thermostat.some((s) => s.entity_id === "climate.living_room" && s.state === "heat"), "the Tado is a climate entity in heat mode");
  // Its row in the Controls card opens the more-info dialog: the thermostat card.
  const controls = page.locator("ha-card").filter({ hasText: "Controls" }).first();
  await controls.getByText("Living room", { exact: true }).first().click();
  // (the dialog element itself has no box: wait for its content)
  const card = page.locator("ha-more-info-dialog");
  await card.getByText("Current temperature").first().waitFor();
  await page.waitForTimeout(1500);
  await shot(page, "living-room-thermostat");
  const cardText = await deepText(card);
  console.log(`thermostat card: ${cardText}`);
  check(/Follow schedule/.test(cardText), "the thermostat card shows the 'Follow schedule' preset");
  check(/Heat/.test(cardText) && /°C/.test(cardText), "the thermostat card shows the mode and a temperature in °C");
  // One step up on the thermostat: Home Assistant sends the new setpoint, Enode holds it.
  const tadoBefore = await page.evaluate(() => document.querySelector("home-assistant").hass.states["climate.living_room"].attributes.temperature);
  // The dial's "+" (the second of its two buttons; its label is not exposed as a name).
  const plus = card.locator("ha-state-control-climate-temperature ha-outlined-icon-button").last();
  await plus.click();
  const tadoThermostat = async () => {
    const simState = await (await fetch(`${SIM}/_simulator/state`)).json();
    return simState.assets.filter((a) => a.information?.model === "Smart Thermostat X").map((a) => a.thermostatState);
  };
  let holds = await tadoThermostat();
  for (let i = 0; i < 30 && !holds.some((t) => t.holdType === "PERMANENT"); i += 1) {
    await page.waitForTimeout(1000);
    holds = await tadoThermostat();
  }
  await page.waitForTimeout(2000);
  await shot(page, "living-room-thermostat-held");
  const held = holds.find((t) => t.holdType === "PERMANENT");
  check(held !== undefined && held.heatSetpoint === tadoBefore + 0.5, `one step up holds ${tadoBefore + 0.5} °C at the simulator (${JSON.stringify(held)})`);
  const heldText = await deepText(card);
  check(/Permanent hold/.test(heldText), "the thermostat card now shows the 'Permanent hold' preset");
  await page.keyboard.press("Escape");

  step("Options: unlink the Zaptec (the confirmation says what follows)");
  // (closing the thermostat's more-info dialog navigates back: let that finish first)
  await page.waitForTimeout(1000);
  await page.goto(`${HA}/config/integrations/integration/enode`).catch(async () => {
    await page.waitForTimeout(1000);
    await page.goto(`${HA}/config/integrations/integration/enode`);
  });
  await page.getByText("Batmobile").first().waitFor();
  await page.getByRole("button", { name: "Configure" }).first().click({ force: true });
  await waitForDialogText("Unlink a charger");
  await dialog().getByText("Unlink a charger", { exact: true }).click();
  await waitForDialogText("Unlink Zaptec Go?");
  await shot(page, "options-unlink-confirm");
  const unlinkText = await dialogText();
  console.log(`unlink confirmation: ${unlinkText}`);
  check(
    unlinkText.includes("Charging control and smart charging stop for Anna's ID.4, which cannot start or stop charging without a charger"),
    "the confirmation says the ID.4 loses charging control and smart charging (seen without a charger while linking)",
  );
  check(
    unlinkText.includes("Home Assistant has not seen Batmobile without a charger"),
    "the confirmation is honest about the Batmobile (never seen without a charger)",
  );
  check(unlinkText.includes("will not suggest linking a charger again"), "the confirmation says suggestions stop, relinking stays in Configure");
  await clickDialogButton("Submit");
  await waitForDialogText("Unlinked Zaptec Go");
  await shot(page, "options-unlinked");
  await clickDialogButton("Close");
  await dialog().waitFor({ state: "hidden" });

  step("Repairs: the mandatory 'link your charger' repair is back, and cannot be ignored");
  await page.goto(`${HA}/config/repairs`);
  await page.locator("ha-config-repairs-dashboard").getByText("Link your charger to enable charging control").first().waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "repairs-charger-required");
  repairs = await deepText(page.locator("ha-config-repairs-dashboard"));
  console.log(repairs);
  check(/Link your charger to enable charging control for Anna's ID\.4/.test(repairs), "Repairs lists the mandatory charger repair for the ID.4");
  check(!/Link your home charger to control charging/.test(repairs), "Enode's own 'link your home charger' intervention is not a second repair");
  check(!/more reliable charging of Batmobile/.test(repairs), "no charger suggestion for the Batmobile after an unlink");
  await page.locator("ha-config-repairs-dashboard").getByText("Link your charger to enable charging control").first().click();
  await waitForDialogText("Submit to link the charger");
  await shot(page, "repair-charger-required-open");
  const required = await dialogText();
  check(required.includes("Charging control and smart charging stay off until you link your home charger"), "the repair says charging control stays off until a charger is linked");
  check(required.includes("Link your home charger to control charging"), "the repair carries Enode's intervention text");
  const ignoreButtons = await dialog().getByRole("button", { name: /ignore/i }).count();
  check(ignoreButtons === 0, `the mandatory repair offers no Ignore (${ignoreButtons} such buttons)`);
  await page.keyboard.press("Escape");
  await dialog().waitFor({ state: "hidden" });

  step("The ID.4's device page: charging control unavailable, the pairing sensor says why");
  await page.goto(`${HA}/config/devices/dashboard?historyBack=1&domain=enode`);
  await page.getByText("Anna's ID.4").first().click();
  await page.waitForURL(/\/config\/devices\/device\//);
  await page.getByText("Charger required").first().waitFor();
  await page.waitForTimeout(1500);
  await shot(page, "device-id4-charger-required");
  const waiting = await deviceStates("Anna's ID.4");
  console.log(`Anna's ID.4: ${describe(waiting)}`);
  const waitingSwitch = waiting.find((s) => s.entity_id.startsWith("switch.") && / Charge$/.test(s.name));
  check(waitingSwitch?.state === "unavailable", `the ID.4's charging switch is unavailable (${waitingSwitch?.state})`);
  const waitingPairing = waiting.find((s) => / Charger pairing$/.test(s.name));
  check(waitingPairing?.state === "required", `the ID.4's charger pairing says a charger is required (${waitingPairing?.state})`);

  step("Repairs: fix it (Submit -> Link UI: Zaptec -> sign in -> Connect)");
  await page.goto(`${HA}/config/repairs`);
  await page.locator("ha-config-repairs-dashboard").getByText("Link your charger to enable charging control").first().click();
  await waitForDialogText("Submit to link the charger");
  popupPromise = nextPopup();
  await clickDialogButton("Submit");
  await linkInPopup(popupPromise, { brand: "Zaptec", label: "repair-charger", intro: "Choose the brand of your EV charger." });
  await page.waitForTimeout(1500);
  await clickDialogButton("Close").catch(() => {});
  await dialog().waitFor({ state: "hidden" });
  await page.goto(`${HA}/config/repairs`);
  await page.locator("ha-config-repairs-dashboard").waitFor();
  await page.waitForTimeout(1500);
  await shot(page, "repairs-after-charger");
  repairs = await deepText(page.locator("ha-config-repairs-dashboard"));
  check(!/Link your charger to enable charging control/.test(repairs), "the mandatory repair is gone once the Zaptec is linked again");
  const relinked = await deviceStates("Anna's ID.4");
  const relinkedSwitch = relinked.find((s) => s.entity_id.startsWith("switch.") && / Charge$/.test(s.name));
  check(relinkedSwitch !== undefined && relinkedSwitch.state !== "unavailable", `the ID.4's charging switch is back (${relinkedSwitch?.state})`);

  step("Outage: Enode fails, the ID.4 turns unavailable; Enode answers again, it is back within a backoff");
  const control = (operation, body = {}) =>
    fetch(`${SIM}/_simulator/${operation}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const batteryState = () =>
    page.evaluate((id) => document.querySelector("home-assistant").hass.states[id]?.state, battery?.entity_id);
  await page.goto(`${HA}/config/devices/dashboard?historyBack=1&domain=enode`);
  await page.getByText("Anna's ID.4").first().click();
  await page.waitForURL(/\/config\/devices\/device\//);
  await page.getByText("Battery").first().waitFor();
  await control("inject_fault", { status: 503, count: 100000 });
  // Ask for an update now (push is healthy: the next poll would be 30 minutes away).
  await page.evaluate(
    (id) => document.querySelector("home-assistant").hass.callService("homeassistant", "update_entity", { entity_id: id }),
    battery?.entity_id,
  ).catch(() => {});
  await page.waitForFunction(
    (id) => document.querySelector("home-assistant").hass.states[id]?.state === "unavailable",
    battery?.entity_id,
    { timeout: 30_000 },
  ).catch(() => {});
  await page.waitForTimeout(1000);
  await shot(page, "outage-unavailable");
  check((await batteryState()) === "unavailable", `during the outage the ID.4's battery is unavailable (${await batteryState()})`);
  await control("clear_faults");
  const cleared = Date.now();
  await page.waitForFunction(
    (id) => !["unavailable", undefined].includes(document.querySelector("home-assistant").hass.states[id]?.state),
    battery?.entity_id,
    { timeout: 60_000 },
  ).catch(() => {});
  const back = (Date.now() - cleared) / 1000;
  await page.waitForTimeout(1000);
  await shot(page, "outage-recovered");
  check(
    (await batteryState()) !== "unavailable" && back <= 25,
    `the ID.4 is back ${back.toFixed(1)} s after Enode answers again (first retry after 10 s): battery ${await batteryState()}`,
  );
  exitCode = failures.length === 0 ? 0 : 1;
} catch (err) {
  console.error(`\nERROR ${err.stack || err}`);
  for (const p of context.pages()) {
    await shot(p, "error").catch(() => {});
  }
} finally {
  // Home Assistant's frontend loads brand icons from brands.home-assistant.io: refused here, the
  // pages show empty icon boxes instead. Anything else leaving loopback is a failure.
  // Source maps point at raw.githubusercontent.com/home-assistant/frontend (refused as well).
  const expected = ["https://brands.home-assistant.io", "https://raw.githubusercontent.com"];
  const unexpected = [...offsite].filter((origin) => !expected.includes(origin));
  console.log(`refused requests off loopback: ${[...offsite].join(", ") || "none"}`);
  check(unexpected.length === 0, `no unexpected request left loopback (${unexpected.join(", ") || "none"})`);
  const errors = consoleErrors.filter((text) => !text.startsWith("Failed to load resource"));
  if (notFound.size) console.log(`404 Not Found: ${[...notFound].join(", ")}`);
  if (errors.length) console.log(`browser console errors:\n  ${errors.join("\n  ")}`);
  writeFileSync(path.join(OUT, "screenshots.txt"), shots.join("\n") + "\n");
  await context.close();
}
if (failures.length) console.log(`\n${failures.length} of ${checks} checks failed:\n  ${failures.join("\n  ")}`);
else if (exitCode === 0) console.log(`\nall ${checks} checks passed`);
process.exit(failures.length ? 1 : exitCode);
