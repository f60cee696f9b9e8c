import { CodedError } from '../coded-error';

/**
 * A packet or a peer broke a rule of MQTT 3.1.1. `code` is stable for programs; `rule` names the
 * normative statement of the OASIS standard (e.g. "MQTT-2.2.3") or its section when the rule has no
 * number; `message` says what was wrong and what was expected.
 */
export class ProtocolError extends CodedError {
  readonly rule: string;
  constructor(code: string, rule: string, message: string) {
    super('ProtocolError', code, `${message} [${rule}]`);
    this.rule = rule;
  }
}

/** A call of the client API with arguments MQTT cannot carry (bad topic, QoS, payload size …). */
export class UsageError extends CodedError {
  constructor(code: string, message: string) {
    super('UsageError', code, message);
  }
}

/** The broker refused the connection with a CONNACK return code (MQTT 3.1.1 §3.2.2.3). */
export class ConnectionRefusedError extends CodedError<'CONNECTION_REFUSED'> {
  readonly returnCode: number;
  constructor(returnCode: number) {
    super('ConnectionRefusedError', 'CONNECTION_REFUSED', `the broker refused the connection: ${CONNACK_REASONS[returnCode] ?? `unknown return code ${returnCode}`}`);
    this.returnCode = returnCode;
  }
}

const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version (the broker does not speak MQTT 3.1.1)',
  2: 'client identifier rejected (choose another client id)',
  3: 'server unavailable (the MQTT service is down; will retry)',
  4: 'bad user name or password (check the credentials in the config)',
  5: 'not authorized (a wrong user name or password, or the broker does not allow this client: check the credentials)',
};
