// The balloon altimeter as a device of the Moddable desktop simulator (mcsim): the mock-up with the
// node's status screen, and the side pane a developer flies it from. mcsim loads every .js file in
// the folder it is given as a device definition (this file; the app is `npm run sim`).
//
// The pane and the firmware talk over the simulator's message channel: the pane posts JSON with
// `model.SCREEN.postMessage`, the app receives it in `screen.onMessage`
// (src/platform/moddable/sim/panel-link.ts), and the app's `screen.postMessage` arrives here in
// `onJSON`. One message, one JSON object:
//
//   pane → app   {"flight":{"scenario":"normal"|"crash"|…|"replay"|"manual"}}  restart that flight (hello
//                                                     lists them; "replay", a recorded flight, only when given one)
//                {"flight":{"targetAltitudeM":150}}   manual flight: the pilot climbs or descends there
//                {"flight":{"burner":true|false}}     manual flight: the burner held down / released
//                {"flight":{"envelopeFailure":true}}  the envelope fails now (a replay is taken over by hand first)
//                {"sensor":{"silent":true,"frozen":false,"spikes":false}}  chip faults (any subset)
//                {"network":{"up":false}}              cut (or restore) the node's network
//   app → pane   {"hello":{"id","fw","broker","scenario","scenarios"}}   the firmware (re)started
//                {"status":{"alt","vs","q","emergencies","link","outbox","dropped"}}  after each reading
//                {"refused":"why"}                     a pane message the app could not use
//
// Scripting the pane (tests, demos): every 250 ms the pane reads `panel-input.jsonl` in mcsim's
// local directory ($XDG_CONFIG_HOME/tech.moddable.mcsim) and applies each new line, a pane → app
// message as above, exactly as if its control had been used: the control moves, and the same
// message goes to the app. After each status it writes what its readout shows to
// `panel-readout.json` there, with where its buttons are (for a test that clicks them).
import { ButtonsRow, ControlsColumn, InfoRow, PopupRow, SliderRow, SwitchRow } from "ControlsPane";
import { DeviceBehavior, DeviceContainer, DeviceScreen } from "DevicePane";

// Until the firmware says which flights it has (hello.scenarios), the few every build has.
let SCENARIOS = ["normal", "crash", "sensor-fault", "manual"].map((name) => ({ title: name, value: name }));
const INPUT_FILE = "panel-input.jsonl";
const READOUT_FILE = "panel-readout.json";
const SENSOR_SWITCHES = { silent: "SILENT", frozen: "FROZEN", spikes: "SPIKES" };

const format = {
	altitude: (m) => (m === null ? "—" : `${m.toFixed(1)} m`),
	verticalSpeed: (v) => (v === null ? "—" : `${v >= 0 ? "+" : ""}${v.toFixed(2)} m/s`),
	emergencies: (list) => (list.length ? list.join(", ") : "none"),
	link: (link, broker) => (link === "connected" ? `connected to ${broker}` : link),
	// Not yet acknowledged by the broker: waiting, or sent and awaiting the PUBACK (the newest reading
	// usually is, so 1 is the steady state on a working link).
	outbox: (size, dropped) => `${size} unacknowledged${dropped ? `, ${dropped} dropped` : ""}`,
};

class BalloonBehavior extends DeviceBehavior {
	onCreate(container, device) {
		super.onCreate(container, device);
		this.broker = "?";
		this.readout = {};
		this.inputLines = 0;
		container.duration = 0; // run for ever: poll the input file
		container.interval = 250;
		container.start();
	}

	// The pane's own controls (the row templates call these by name).
	onFlightChanged(container, data) {
		this.send(container, { flight: { scenario: data.value } });
	}
	onTargetChanging() {
		this.showManual();
	}
	onTargetChanged(container, data) {
		this.send(container, { flight: { targetAltitudeM: data.value } });
	}
	onBurnerDown(container) {
		this.showManual();
		this.send(container, { flight: { burner: true } });
	}
	onBurnerUp(container) {
		this.send(container, { flight: { burner: false } });
	}
	onEnvelopeFailure(container) {
		this.showManual();
		this.send(container, { flight: { envelopeFailure: true } });
	}
	onSilentChanged(container, data) {
		this.send(container, { sensor: { silent: data.value } });
	}
	onFrozenChanged(container, data) {
		this.send(container, { sensor: { frozen: data.value } });
	}
	onSpikesChanged(container, data) {
		this.send(container, { sensor: { spikes: data.value } });
	}
	onNetworkChanged(container, data) {
		this.send(container, { network: { up: data.value } });
	}

	send(container, message) {
		this.postJSON(container, message);
	}

	/** A scripted message: move the controls to match, then send it as the controls would. */
	apply(container, message) {
		const { flight, sensor, network } = message;
		if (flight?.scenario !== undefined) this.showScenario(flight.scenario);
		if (flight?.targetAltitudeM !== undefined) {
			this.showManual();
			this.setSlider(this.TARGET, flight.targetAltitudeM);
		}
		if (flight?.envelopeFailure || flight?.burner) this.showManual();
		for (const key in sensor ?? {}) if (SENSOR_SWITCHES[key]) this.setSwitch(this[SENSOR_SWITCHES[key]], sensor[key]);
		if (network?.up !== undefined) this.setSwitch(this.NETWORK, network.up);
		this.send(container, message);
	}

	showManual() {
		this.showScenario("manual");
	}
	showScenario(value) {
		const popup = this.FLIGHT;
		const index = SCENARIOS.findIndex((item) => item.value === value);
		if (!popup || index < 0) return;
		popup.behavior.data.value = value;
		popup.behavior.selection = index;
		popup.first.next.string = SCENARIOS[index].title;
	}
	setSlider(slider, value) {
		if (!slider || typeof value !== "number") return;
		const data = slider.behavior.data;
		data.value = Math.max(data.min, Math.min(data.max, value));
		slider.behavior.onDataChanged(slider);
		slider.next.string = data.value + data.unit;
	}
	setSwitch(control, value) {
		if (!control || typeof value !== "boolean") return;
		const data = control.behavior.data;
		data.value = value;
		control.behavior.onDataChanged(control);
	}

	// Messages from the app.
	onJSON(container, json) {
		if (json.hello) this.onHello(container, json.hello);
		else if (json.status) this.onStatus(container, json.status);
		else if (json.refused) this.show("REFUSED", json.refused);
	}
	onHello(container, hello) {
		// The firmware starts from its config: the controls show that, not what they showed before.
		this.broker = hello.broker;
		if (Array.isArray(hello.scenarios) && this.FLIGHT) {
			// The firmware's own list of flights: the picker offers exactly what it can fly.
			SCENARIOS = hello.scenarios.map((name) => ({ title: name, value: name }));
			this.FLIGHT.behavior.data.items = SCENARIOS;
		}
		this.showScenario(hello.scenario);
		for (const key in SENSOR_SWITCHES) this.setSwitch(this[SENSOR_SWITCHES[key]], false);
		this.setSwitch(this.NETWORK, true);
		this.show("FIRMWARE", `${hello.id} ${hello.fw}`);
		this.show("REFUSED", "");
	}
	onStatus(container, status) {
		this.show("ALTITUDE", format.altitude(status.alt));
		this.show("VERTICAL_SPEED", format.verticalSpeed(status.vs));
		this.show("QUALITY", status.q);
		this.show("EMERGENCY", format.emergencies(status.emergencies));
		this.show("LINK", format.link(status.link, this.broker));
		this.show("OUTBOX", format.outbox(status.outbox, status.dropped));
		this.writeReadout(status);
	}
	show(name, string) {
		this.readout[name] = string;
		if (this[name]) this[name].string = string;
	}

	// The scripting hook (see the top of this file).
	onTimeChanged(container) {
		const path = system.buildPath(system.localDirectory, INPUT_FILE);
		if (!system.fileExists(path)) return;
		const lines = system.readFileString(path).split("\n");
		lines.pop(); // the part after the last newline is not a whole line yet
		for (; this.inputLines < lines.length; this.inputLines++) {
			const line = lines[this.inputLines].trim();
			if (!line) continue;
			try {
				this.apply(container, JSON.parse(line));
			} catch (error) {
				this.show("REFUSED", `${INPUT_FILE} line ${this.inputLines + 1}: ${error.message}`);
			}
		}
	}
	writeReadout(status) {
		const buttons = {};
		for (const [name, button] of [["envelopeFailure", this.ENVELOPE], ["burner", this.BURNER]]) {
			if (button) buttons[name] = { x: button.x, y: button.y, width: button.width, height: button.height };
		}
		const app = this.ENVELOPE?.application;
		const readout = { ...this.readout, status, buttons, application: app ? { width: app.width, height: app.height } : undefined };
		system.writeFileString(system.buildPath(system.localDirectory, READOUT_FILE), JSON.stringify(readout));
	}
}

// mcsim's own skins and styles are made after device files are loaded: this file brings its own.
const headingSkin = { fill: "#e6e6e6" };
const headingStyle = { font: "semibold 12px Open Sans", color: "#4a56a6", horizontal: "left" };
const Heading = Row.template(($) => ({
	left: 0, right: 0, height: 24, skin: headingSkin,
	contents: [Label($, { left: 10, right: 0, style: headingStyle, string: $.title })],
}));

const body = { fill: "#2b3440", stroke: "#11161c", left: 2, right: 2, top: 2, bottom: 2 };
const bezel = { fill: "#0b0e12" };
const nameStyle = { font: "semibold 13px Open Sans", color: "#c9d3de", horizontal: "center" };
const hintStyle = { font: "11px Open Sans", color: "#8796a6", horizontal: "center" };

export default {
	applicationName: ".*",
	title: "Balloon altimeter",
	Workers: {},
	ControlsTemplate: ControlsColumn.template(() => ({
		contents: [
			Heading({ title: "Flight" }),
			PopupRow({ name: "FLIGHT", event: "onFlightChanged", label: "Flight", items: SCENARIOS, value: "normal" }),
			// mcsim's own slider row (ControlsPane.js), whose value column is narrow: the unit is in the label.
			SliderRow({
				name: "TARGET", track: "onTargetChanging", event: "onTargetChanged", label: "Target (m)",
				min: 0, max: 2000, step: 10, unit: "", value: 0,
			}),
			// Held down like a blast valve: the burner burns from press to release.
			ButtonsRow({ label: "Burner (hold)", buttons: [{ name: "BURNER", eventDown: "onBurnerDown", eventUp: "onBurnerUp", label: "Burn" }] }),
			ButtonsRow({ label: "Envelope", buttons: [{ name: "ENVELOPE", event: "onEnvelopeFailure", label: "Fail now" }] }),
			Heading({ title: "Sensor faults" }),
			SwitchRow({ name: "SILENT", event: "onSilentChanged", label: "Chip silent", on: "No answer", off: "Answers", value: false }),
			SwitchRow({ name: "FROZEN", event: "onFrozenChanged", label: "Reading", on: "Frozen", off: "Live", value: false }),
			SwitchRow({ name: "SPIKES", event: "onSpikesChanged", label: "Spikes", on: "Yes", off: "No", value: false }),
			Heading({ title: "Network" }),
			SwitchRow({ name: "NETWORK", event: "onNetworkChanged", label: "Network", on: "Up", off: "Cut", value: true }),
			Heading({ title: "What the firmware reports" }),
			InfoRow({ name: "ALTITUDE", label: "Altitude", value: "—" }),
			InfoRow({ name: "VERTICAL_SPEED", label: "Vertical speed", value: "—" }),
			InfoRow({ name: "QUALITY", label: "Quality", value: "—" }),
			InfoRow({ name: "EMERGENCY", label: "Emergency", value: "—" }),
			InfoRow({ name: "LINK", label: "Broker", value: "—" }),
			InfoRow({ name: "OUTBOX", label: "Outbox", value: "—" }),
			InfoRow({ name: "FIRMWARE", label: "Firmware", value: "—" }),
			InfoRow({ name: "REFUSED", label: "Refused", value: "" }),
		],
	})),
	DeviceTemplates: {
		0: DeviceContainer.template(($) => ({
			Behavior: BalloonBehavior, width: 300, height: 420,
			contents: [
				RoundContent($, { left: 0, right: 0, top: 0, bottom: 0, radius: 18, skin: body }),
				Content($, { left: 22, width: 256, top: 22, height: 336, skin: bezel }),
				DeviceScreen($, { left: 30, width: 240, top: 30, height: 320, rotation: 0 }),
				Label($, { left: 0, right: 0, top: 366, style: nameStyle, string: "BALLOON ALTIMETER" }),
				Label($, { left: 0, right: 0, top: 388, style: hintStyle, string: "simulated board · fly it from the side pane" }),
			],
		})),
	},
};
