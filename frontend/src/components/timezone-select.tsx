import { SelectField } from "@/components/ui/field";
import { type TimeZone, timeZones } from "@/lib/time";

export function TimeZoneSelect({ value, onChange, label = "Time zone", error }: { value: string; onChange: (zone: TimeZone) => void; label?: string; error?: string | undefined }) {
  const zones = timeZones();
  if (!zones.includes(value as TimeZone)) zones.unshift(value as TimeZone);
  return (
    <SelectField label={label} value={value} error={error} onChange={(event) => onChange(event.target.value as TimeZone)}>
      {zones.map((zone) => (
        <option key={zone} value={zone}>
          {zone.replaceAll("_", " ")}
        </option>
      ))}
    </SelectField>
  );
}
