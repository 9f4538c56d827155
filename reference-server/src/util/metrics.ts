// A small Prometheus registry: counters and gauges with labels, rendered as text format 0.0.4.

type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  collect?: () => Array<{ labels: Labels; value: number }>;
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Metrics {
  private families = new Map<string, Family>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const fam = this.family(name, help, 'counter');
    return (labels = {}, by = 1) => {
      const key = labelKey(labels);
      const cur = fam.values.get(key);
      if (cur) cur.value += by;
      else fam.values.set(key, { labels, value: by });
    };
  }

  /** A gauge, or a counter kept elsewhere, read at scrape time. */
  collected(name: string, help: string, type: Family['type'], collect: () => Array<{ labels: Labels; value: number }> | number): void {
    const fam = this.family(name, help, type);
    fam.collect = () => {
      const v = collect();
      return typeof v === 'number' ? [{ labels: {}, value: v }] : v;
    };
  }

  render(): string {
    const out: string[] = [];
    for (const [name, fam] of this.families) {
      out.push(`# HELP ${name} ${fam.help}`, `# TYPE ${name} ${fam.type}`);
      const samples = fam.collect ? fam.collect() : [...fam.values.values()];
      for (const s of samples) {
        const lbl = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
        out.push(`${name}${lbl ? `{${lbl}}` : ''} ${s.value}`);
      }
    }
    return out.join('\n') + '\n';
  }

  private family(name: string, help: string, type: Family['type']): Family {
    let fam = this.families.get(name);
    if (!fam) {
      fam = { help, type, values: new Map() };
      this.families.set(name, fam);
    }
    return fam;
  }
}
