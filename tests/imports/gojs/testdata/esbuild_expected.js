var Color = /* @__PURE__ */ ((Color2) => {
  Color2[Color2["Red"] = 0] = "Red";
  Color2["Green"] = "green";
  Color2[Color2["Blue"] = 4] = "Blue";
  return Color2;
})(Color || {});
export function norm(p) {
  const { x, y } = p;
  return Math.sqrt(x * x + y * y);
}
export class Box {
  constructor(name) {
    this.name = name;
  }
  name;
  items = [];
  add(item) {
    this.items.push(item);
    return this;
  }
  get size() {
    return this.items.length;
  }
}
export const c = "green" /* Green */;
let maybe = void 0;
export const len = maybe?.length ?? -1;
