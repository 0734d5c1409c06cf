/** Label–value rows, as the grid panel and the issue page show a record's fields. */
export function FieldList({
  rows,
  className,
  ...data
}: { rows: readonly (readonly [string, string])[]; className?: string } & Record<`data-${string}`, string | boolean>) {
  return (
    <dl className={className} {...data}>
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
