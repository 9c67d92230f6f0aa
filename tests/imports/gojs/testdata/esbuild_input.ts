interface Point { x: number; y: number }
enum Color { Red, Green = "green", Blue = 4 }
export function norm<T extends Point>(p: T): number {
  const { x, y } = p;
  return Math.sqrt(x * x + y * y);
}
export class Box<T> {
  private items: T[] = [];
  constructor(public readonly name: string) {}
  add(item: T): this { this.items.push(item); return this; }
  get size(): number { return this.items.length; }
}
export const c: Color = Color.Green;
let maybe: string | undefined = undefined;
export const len = maybe?.length ?? -1;
