//! Objects the package hands to JavaScript and later receives back inside an array (a
//! LimiterSet's limiters, Redlock's clients). wasm-bindgen passes such objects only by value,
//! which would empty the caller's own; instead each one carries a `handle` (a hidden getter)
//! naming what it shares in a per-thread table, and whoever receives the object looks the
//! handle up. An entry lives as long as its object.

use js_sys::Reflect;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use wasm_bindgen::JsValue;

thread_local! {
    static TABLE: RefCell<HashMap<u32, Box<dyn Any>>> = RefCell::new(HashMap::new());
    static NEXT: Cell<u32> = const { Cell::new(1) };
}

/// An entry of the table; dropping it removes the entry.
pub struct Handle(u32);

impl Handle {
    /// Shares `value` under a new handle.
    pub fn new<T: 'static>(value: T) -> Handle {
        let id = NEXT.with(|n| n.replace(n.get().wrapping_add(1)));
        TABLE.with(|t| t.borrow_mut().insert(id, Box::new(value)));
        Handle(id)
    }

    /// The number JavaScript sees as the object's `handle`.
    pub fn id(&self) -> u32 {
        self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        TABLE.with(|t| t.borrow_mut().remove(&self.0));
    }
}

/// What `object` (a JavaScript object with a `handle`) shares, if it shares a `T`.
pub fn lookup<T: Clone + 'static>(object: &JsValue) -> Option<T> {
    let id = Reflect::get(object, &"handle".into()).ok()?.as_f64()?;
    TABLE.with(|t| t.borrow().get(&(id as u32))?.downcast_ref::<T>().cloned())
}
