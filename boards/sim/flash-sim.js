// embedded:storage/flash for the desktop simulator: the two app slots ("running", "nextota") of the
// simulated flash directory, to hand to embedded:update (as on the ESP32: modules/io/flash/esp32).
// Only close() and status() are there: the firmware reads and writes slots through embedded:update.
// Native code: esp-idf-sim.c.
class Flash extends Native("xs_flashstorage_destructor") {
	constructor() { throw new TypeError; }
	close() { return native("xs_flashstorage_close").call(this); }
	status() { return native("xs_flashstorage_status").call(this); }
	get format() { return "buffer"; }
	set format(value) {
		if (value != "buffer")
			throw new RangeError("invalid");
	}
}

function open(options, prototype) { return native("xs_flashstorage_open").call(this, options, prototype); }

export default Object.freeze({
	open(options) {
		return open(options, Flash.prototype);
	},
}, true);
