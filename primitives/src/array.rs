//! [`Array`]: an ordered collection with set-like helpers.

/// An ordered collection with the set-like helpers CoreGO's `Array` has.
///
/// It owns its items (no aliasing with the caller) and needs `&mut` to change, so sharing one
/// between threads goes through the usual `Mutex` or `RwLock`.
///
/// ```
/// use corers_primitives::Array;
///
/// let mut hosts = Array::from(vec!["homelab", "studio"]);
/// hosts.add_unique(["studio", "backup"]);
/// assert_eq!(hosts.as_slice(), ["homelab", "studio", "backup"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Array<T> {
    items: Vec<T>,
}

impl<T> Default for Array<T> {
    fn default() -> Self {
        Array { items: Vec::new() }
    }
}

impl<T> Array<T> {
    /// Makes an empty array.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let hosts: Array<String> = Array::new();
    /// assert_eq!(hosts.len(), 0);
    /// ```
    pub fn new() -> Array<T> {
        Array::default()
    }

    /// Appends every item, duplicates included.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let mut tags = Array::new();
    /// tags.add(["rust", "rust"]);
    /// assert_eq!(tags.len(), 2);
    /// ```
    pub fn add(&mut self, items: impl IntoIterator<Item = T>) {
        self.items.extend(items);
    }

    /// Keeps the items for which `keep` is true, in order, in a new array.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let ports = Array::from(vec![80, 8080, 443]);
    /// assert_eq!(ports.filter(|p| *p > 100).as_slice(), [8080, 443]);
    /// ```
    pub fn filter(&self, mut keep: impl FnMut(&T) -> bool) -> Array<T>
    where
        T: Clone,
    {
        Array {
            items: self
                .items
                .iter()
                .filter(|item| keep(item))
                .cloned()
                .collect(),
        }
    }

    /// Calls `visit` on each item in order.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let mut total = 0;
    /// Array::from(vec![1, 2, 3]).each(|n| total += n);
    /// assert_eq!(total, 6);
    /// ```
    pub fn each(&self, visit: impl FnMut(&T)) {
        self.items.iter().for_each(visit);
    }

    /// The number of items.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// assert_eq!(Array::from(vec!["a", "b"]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Reports whether there are no items.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// assert!(Array::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Removes every item.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let mut tags = Array::from(vec!["rust"]);
    /// tags.clear();
    /// assert!(tags.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The items, in order (empty, never absent, when there are none).
    ///
    /// ```
    /// use corers_primitives::Array;
    /// assert_eq!(Array::from(vec![1, 2]).as_slice(), [1, 2]);
    /// ```
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }
}

impl<T: PartialEq> Array<T> {
    /// Appends each item that is not already present, counting items added earlier in the
    /// same call.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let mut tags = Array::from(vec!["rust"]);
    /// tags.add_unique(["go", "rust", "go"]);
    /// assert_eq!(tags.as_slice(), ["rust", "go"]);
    /// ```
    pub fn add_unique(&mut self, items: impl IntoIterator<Item = T>) {
        for item in items {
            if !self.items.contains(&item) {
                self.items.push(item);
            }
        }
    }

    /// Reports whether `item` is present (a linear scan).
    ///
    /// ```
    /// use corers_primitives::Array;
    /// assert!(Array::from(vec!["homelab"]).contains(&"homelab"));
    /// ```
    pub fn contains(&self, item: &T) -> bool {
        self.items.contains(item)
    }

    /// Removes the first occurrence of `item`; returns whether one was removed.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let mut tags = Array::from(vec!["a", "b", "a"]);
    /// assert!(tags.remove(&"a"));
    /// assert_eq!(tags.as_slice(), ["b", "a"]);
    /// ```
    pub fn remove(&mut self, item: &T) -> bool {
        match self.items.iter().position(|x| x == item) {
            Some(index) => {
                self.items.remove(index);
                true
            }
            None => false,
        }
    }

    /// Drops repeated items, keeping the first occurrence of each, in order.
    ///
    /// ```
    /// use corers_primitives::Array;
    /// let mut tags = Array::from(vec!["b", "a", "b", "c", "a"]);
    /// tags.dedup();
    /// assert_eq!(tags.as_slice(), ["b", "a", "c"]);
    /// ```
    pub fn dedup(&mut self) {
        let mut kept: Vec<T> = Vec::with_capacity(self.items.len());
        for item in self.items.drain(..) {
            if !kept.contains(&item) {
                kept.push(item);
            }
        }
        self.items = kept;
    }
}

impl<T> From<Vec<T>> for Array<T> {
    fn from(items: Vec<T>) -> Self {
        Array { items }
    }
}

impl<T> FromIterator<T> for Array<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Array {
            items: iter.into_iter().collect(),
        }
    }
}

impl<T> IntoIterator for Array<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
