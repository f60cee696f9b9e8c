// The simulated board's status screen (mcsim's 240×320 display) and the pane's readout: what the
// node thinks, after every reading. Altitude and vertical speed in large digits, the broker link,
// the sensor's quality, the outbox, and an active emergency in large type on red. The same status
// goes to the simulator's pane as {"status":…}; at start the pane gets {"hello":…} so it shows the
// firmware's own starting state.
import Poco from "commodetto/Poco";
import type { BoardConfig } from "platform/moddable/board-config";
import type { DeviceIdentity, NodeStatus, StatusDisplay } from "platform/moddable/node-status";
import { drawText, textHeight, textWidth } from "./dot-font";
import { flightChoices } from "./barometer";
import { brokerUnreachable } from "./network";
import { postToPanel } from "./panel-link";

/** The most serious first: the one the screen shows when several are active. */
const SEVERITY = ["crash", "rapid-descent", "sensor-fault", "low-altitude"];
const MARGIN = 8;

export function createStatusDisplay(config: BoardConfig, device: DeviceIdentity): StatusDisplay {
  postToPanel({ hello: { id: device.id, fw: device.firmwareVersion, broker: device.broker, scenario: config.flightScenario ?? "normal", scenarios: flightChoices(config) } });
  // Each part of the screen is drawn as its own frame: a frame's display list holds every rectangle
  // of its dot-matrix text until the frame ends.
  const poco = new Poco(screen, { displayListLength: 8192 });
  const rgb = (hex: number) => poco.makeColor(hex >> 16, (hex >> 8) & 0xff, hex & 0xff);
  const colour = {
    background: rgb(0x0b1320),
    bar: rgb(0x1d2b3c),
    text: rgb(0xffffff),
    label: rgb(0x8aa0b8),
    good: rgb(0x3ddc84),
    warn: rgb(0xffb000),
    bad: rgb(0xe53935),
    quiet: rgb(0x2e4a3a),
  };
  const width = poco.width;
  const height = poco.height;
  const right = (text: string, scale: number, ink: number, y: number) => drawText(poco, text, ink, width - MARGIN - textWidth(text, scale), y, scale);
  const centre = (text: string, scale: number, ink: number, y: number) => drawText(poco, text, ink, (width - textWidth(text, scale)) >> 1, y, scale);

  const frame = (top: number, bottom: number, fill: number, draw: () => void) => {
    poco.begin(0, top, width, bottom - top);
    poco.fillRectangle(fill, 0, top, width, bottom - top);
    draw();
    poco.end();
  };

  const draw = (status: NodeStatus) => {
    const { reading } = status;
    frame(0, 32, colour.bar, () => {
      const version = `V${device.firmwareVersion}`;
      const room = Math.floor((width - 3 * MARGIN - textWidth(version, 2)) / (6 * 2)); // characters the id has room for (6 dots each)
      drawText(poco, device.id.length > room ? `${device.id.slice(0, room - 1)}-` : device.id, colour.text, MARGIN, 9, 2);
      right(version, 2, colour.label, 9);
    });

    const link =
      status.link === "connected" ? ["BROKER OK", colour.good] : status.link === "network down" ? ["NETWORK DOWN", colour.bad] : [brokerUnreachable() ? "NO BROKER" : "CONNECTING", colour.warn];
    frame(32, 60, colour.background, () => {
      poco.fillRectangle(link[1] as number, MARGIN, 42, 10, 10);
      drawText(poco, link[0] as string, link[1] as number, MARGIN + 18, 40, 2);
    });

    const fault = reading.quality === "fault";
    frame(60, 126, colour.background, () => {
      drawText(poco, "ALTITUDE M", colour.label, MARGIN, 66, 2);
      right(fault ? "----" : reading.altitudeM.toFixed(1), 5, colour.text, 86);
    });
    frame(126, 184, colour.background, () => {
      drawText(poco, "VERT SPEED M/S", colour.label, MARGIN, 132, 2);
      const vs = reading.verticalSpeedMps;
      right(fault ? "----" : `${vs >= 0 ? "+" : ""}${vs.toFixed(2)}`, 4, colour.text, 150);
    });
    frame(184, 236, colour.background, () => {
      const quality = reading.quality === "ok" ? ["SENSOR OK", colour.good] : reading.quality === "degraded" ? ["DEGRADED", colour.warn] : ["SENSOR FAULT", colour.bad];
      drawText(poco, quality[0] as string, quality[1] as number, MARGIN, 190, 2);
      // Amber while readings pile up for want of a link; on a working link the newest is just on its way.
      drawText(poco, `OUTBOX ${status.outbox}`, status.link !== "connected" && status.outbox > 0 ? colour.warn : colour.label, MARGIN, 212, 2);
    });

    const top = 236;
    const active = SEVERITY.filter((kind) => status.emergencies.includes(kind));
    frame(top, height, active.length ? colour.bad : colour.quiet, () => {
      if (active.length === 0) {
        centre("NO EMERGENCY", 2, colour.label, top + ((height - top - textHeight(2)) >> 1));
        return;
      }
      const words = active[0].toUpperCase().split("-");
      const lineHeight = textHeight(4) + 8;
      const first = top + ((height - top - words.length * lineHeight + 8) >> 1);
      for (let i = 0; i < words.length; i++) centre(words[i], 4, colour.text, first + i * lineHeight);
      if (active.length > 1) right(`+${active.length - 1}`, 2, colour.text, top + 6);
    });
  };
  let failed = false;

  return {
    show(status) {
      try {
        draw(status);
      } catch (error) {
        // A screen that cannot draw must not stop the altimeter: say so once and carry on.
        if (!failed) trace(`status screen: ${(error as Error).message}; the node carries on without it\n`);
        failed = true;
      }
      const { reading } = status;
      const fault = reading.quality === "fault";
      postToPanel({
        status: {
          alt: fault ? null : Math.round(reading.altitudeM * 10) / 10,
          vs: fault ? null : Math.round(reading.verticalSpeedMps * 100) / 100,
          q: reading.quality,
          emergencies: status.emergencies,
          link: status.link === "connecting" && brokerUnreachable() ? "no broker" : status.link,
          outbox: status.outbox,
          dropped: status.dropped,
        },
      });
    },
  };
}
