// Home Assistant MQTT discovery: one retained config message per entity under homeassistant/, each
// reading its value from the telemetry JSON and its availability from <id>/status.
import type { SystemPort } from '../ports';

interface Entity {
  key: string;
  name: string;
  field: string;
  unit: string;
  deviceClass?: string;
  precision: number;
}

const ENTITIES: Entity[] = [
  { key: 'altitude', name: 'Altitude', field: 'alt', unit: 'm', deviceClass: 'distance', precision: 1 },
  { key: 'vertical_speed', name: 'Vertical speed', field: 'vs', unit: 'm/s', deviceClass: 'speed', precision: 2 },
  { key: 'pressure', name: 'Pressure', field: 'p', unit: 'Pa', deviceClass: 'pressure', precision: 1 },
  { key: 'temperature', name: 'Temperature', field: 't', unit: '°C', deviceClass: 'temperature', precision: 2 },
];

export function discoveryMessages(deviceId: string, system: Pick<SystemPort, 'firmwareVersion' | 'board'>): { topic: string; payload: string }[] {
  return ENTITIES.map((entity) => ({
    topic: `homeassistant/sensor/${deviceId}/${entity.key}/config`,
    payload: JSON.stringify({
      name: entity.name,
      unique_id: `${deviceId}_${entity.key}`,
      state_topic: `${deviceId}/telemetry`,
      value_template: `{{ value_json.${entity.field} }}`,
      unit_of_measurement: entity.unit,
      ...(entity.deviceClass ? { device_class: entity.deviceClass } : {}),
      state_class: 'measurement',
      suggested_display_precision: entity.precision,
      availability_topic: `${deviceId}/status`,
      payload_available: 'online',
      payload_not_available: 'offline',
      device: { identifiers: [deviceId], name: `Balloon altimeter ${deviceId}`, model: system.board, sw_version: system.firmwareVersion, manufacturer: 'balloon-altimeter' },
    }),
  }));
}
