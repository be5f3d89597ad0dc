// A state machine from a spec's x-returnkit-state-machine, drawn as inline SVG: states in columns by
// their distance from the initial state, the current one filled, each transition labelled by its action.
const SVG = "http://www.w3.org/2000/svg";
const [WIDTH, HEIGHT, COLUMN, ROW, MARGIN, ARC_ROOM] = [120, 34, 190, 62, 20, 90];

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function columns(machine) {
  // the longest way from the initial state (so most arrows point right), final states in a last column
  const finals = new Set(machine.final || []);
  const depth = new Map([[machine.initial, 0]]);
  const states = new Set(machine.transitions.flatMap((t) => [t.from, t.to]));
  for (let round = 0; round < states.size; round += 1) {  // bounded: a cycle cannot push forever
    for (const { from, to } of machine.transitions) {
      if (depth.has(from) && !finals.has(to) && (depth.get(to) ?? -1) < depth.get(from) + 1) depth.set(to, depth.get(from) + 1);
    }
  }
  for (const state of states) if (!depth.has(state) && !finals.has(state)) depth.set(state, 0);
  const last = Math.max(...depth.values()) + 1;
  for (const state of finals) if (states.has(state)) depth.set(state, last);
  return depth;
}

function layout(machine) {
  const depth = columns(machine);
  const rows = new Map();
  const place = new Map();
  for (const [state, column] of depth) {
    const row = rows.get(column) || 0;
    rows.set(column, row + 1);
    place.set(state, { x: MARGIN + column * COLUMN, y: MARGIN + ARC_ROOM + row * ROW });
  }
  const width = MARGIN * 2 + Math.max(...depth.values()) * COLUMN + WIDTH;
  const height = MARGIN * 2 + (Math.max(...rows.values()) - 1) * ROW + HEIGHT + ARC_ROOM;
  return { place, width, height };
}

function edge(from, to, action, deprecated) {
  const [x1, y1] = [from.x + WIDTH, from.y + HEIGHT / 2];
  const [x2, y2] = to.x > from.x ? [to.x, to.y + HEIGHT / 2] : [to.x + WIDTH / 2, to.y + (to.y > from.y ? 0 : HEIGHT)];
  // an arrow that skips columns arcs above those between (the further, the higher); a backward one bends
  const span = Math.round((to.x - from.x) / COLUMN);
  const lift = to.x > from.x ? (span > 1 ? 22 * span : 0) : 40;
  const [cx, cy] = [(x1 + x2) / 2 + (to.x > from.x ? 0 : 40), Math.min(y1, y2) - lift];
  const group = svg("g", { class: deprecated ? "edge deprecated" : "edge" });
  group.append(svg("path", { d: `M${x1},${y1} Q${cx},${cy} ${x2},${y2}`, "marker-end": "url(#arrow)" }));
  group.append(svg("text", { x: (x1 + 2 * cx + x2) / 4, y: (y1 + 2 * cy + y2) / 4 - 3, "text-anchor": "middle" }, action));
  return group;
}

export function drawMachine(machine, current) {
  const { place, width, height } = layout(machine);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "machine", "aria-labelledby": "machine-svg-title" });
  root.append(svg("title", { id: "machine-svg-title" }, `States ${[...place.keys()].join(", ")}; current: ${current}`));
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z" }));
  defs.append(marker);
  root.append(defs);
  for (const transition of machine.transitions) {
    root.append(edge(place.get(transition.from), place.get(transition.to), transition.action, transition.deprecated));
  }
  const finals = new Set(machine.final || []);
  for (const [state, at] of place) {
    const classes = ["state", state === current ? "current" : "", finals.has(state) ? "final" : ""].join(" ").trim();
    const group = svg("g", { class: classes, "data-state": state });
    group.append(svg("rect", { x: at.x, y: at.y, width: WIDTH, height: HEIGHT, rx: 8 }));
    group.append(svg("text", { x: at.x + WIDTH / 2, y: at.y + HEIGHT / 2 + 5, "text-anchor": "middle" }, state));
    root.append(group);
  }
  return root;
}
