/** A labelled select, the one shape every filter and form choice takes. */
export interface ChoiceOption {
  value: string;
  label: string;
}

export const optionsOf = <V extends string>(values: readonly V[], label: (v: V) => string): ChoiceOption[] =>
  values.map((value) => ({ value, label: label(value) }));

export function Choice({
  label,
  name,
  value,
  onChange,
  options,
  empty,
  bare = false,
  required = false,
}: {
  label: string;
  name: string;
  value: string;
  onChange(value: string): void;
  options: readonly ChoiceOption[];
  /** A first option with the empty value: "all" in a filter, "choose…" (disabled) in a form. */
  empty?: { label: string; disabled?: boolean };
  /** Without a visible label (the label becomes the select's accessible name). */
  bare?: boolean;
  required?: boolean;
}) {
  const select = (
    <select name={name} value={value} required={required} aria-label={bare ? label : undefined} onChange={(e) => onChange(e.target.value)}>
      {empty && (
        <option value="" disabled={empty.disabled}>
          {empty.label}
        </option>
      )}
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
  if (bare) return select;
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is `select`, built above.
    <label>
      <span>{label}</span>
      {select}
    </label>
  );
}
