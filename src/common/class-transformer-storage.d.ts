// class-transformer ships its metadata storage as cjs/storage.js and the types of it apart.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
