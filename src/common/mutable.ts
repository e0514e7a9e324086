/** A readonly type's writable twin, for building an object field by field before handing it on. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
