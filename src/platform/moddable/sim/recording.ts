// The recorded flight the desktop simulator replays (`npm start -- --device sim --flight FILE.csv`).
// The host checks the file with the same parser before mcsim starts and copies it, as it is, into
// mcsim's working directory (the file root, boards/sim/manifest.json); the launch setting
// flightFile names it. A file rather than a preference: the simulator's Preference module keeps
// every domain in one JSON file that it rewrites whole at every Preference.set (the node's store
// writes at each start and on every config command), and the preference API stands for the
// ESP32's NVS, whose string values stop at about 4,000 bytes (our store refuses values over 10,000
// characters, preference-store.ts): the 13 KB sample flights in flights/ would not fit.
import { File } from "file";
import config from "mc/config";
import { parseFlightCsv, type RecordedFlightData } from "sim/recorded-flight";

/** Reads and parses the flight file `name` under the file root; a problem stops the start, naming the file. */
export function readRecordedFlight(name: string): RecordedFlightData {
  const path = config.file.root + name;
  let text = "";
  try {
    const file = new File(path);
    try {
      if (file.length > 0) text = file.read(String); // reading an empty file throws "read past end of file"
    } finally {
      file.close();
    }
  } catch (error) {
    throw new Error(`flightFile ${path} cannot be read: ${(error as Error).message}`);
  }
  try {
    return parseFlightCsv(text);
  } catch (error) {
    throw new Error(`flightFile ${path}, ${(error as Error).message}`);
  }
}
