//! The handler tables: one immutable snapshot, routed by message type.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use corers_primitives::Result;

use crate::{Ctx, DispatchKind, HandlerId, Observed};

pub(crate) type BroadcastFn<C, M> = dyn Fn(&Ctx<'_, C>, &M) -> Result<()> + Send + Sync;
pub(crate) type AnswerFn<C, Q, A> = dyn Fn(&Ctx<'_, C>, &Q) -> Option<Result<A>> + Send + Sync;
pub(crate) type ObserverFn<C> = dyn Fn(&Ctx<'_, C>, &Observed<'_>) + Send + Sync;

/// The handlers of one message type, in registration order.
pub(crate) struct List<F: ?Sized> {
    pub(crate) entries: Vec<(HandlerId, Arc<F>)>,
}

/// A [`List`] with its function type erased, so lists of every type share one map.
pub(crate) trait ErasedList: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// The list without `id`; `None` when that leaves it empty.
    fn without(&self, id: HandlerId) -> Option<Arc<dyn ErasedList>>;
}

impl<F: ?Sized + Send + Sync + 'static> ErasedList for List<F> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn without(&self, id: HandlerId) -> Option<Arc<dyn ErasedList>> {
        let entries: Vec<_> = self
            .entries
            .iter()
            .filter(|(h, _)| *h != id)
            .cloned()
            .collect();
        (!entries.is_empty()).then(|| Arc::new(List { entries }) as Arc<dyn ErasedList>)
    }
}

/// `TypeId`s are already well-mixed hashes: use their bits as they are.
#[derive(Default)]
pub(crate) struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

type ByType = HashMap<TypeId, Arc<dyn ErasedList>, BuildHasherDefault<TypeIdHasher>>;

/// Every handler of a bus, as one immutable snapshot.
pub(crate) struct Tables<C> {
    pub(crate) broadcast: ByType,
    pub(crate) query: ByType,
    pub(crate) task: ByType,
    pub(crate) observers: Vec<(HandlerId, Arc<ObserverFn<C>>)>,
    /// Which table each handler is in, for removal.
    owners: HashMap<HandlerId, (DispatchKind, TypeId)>,
}

impl<C> Clone for Tables<C> {
    fn clone(&self) -> Self {
        Tables {
            broadcast: self.broadcast.clone(),
            query: self.query.clone(),
            task: self.task.clone(),
            observers: self.observers.clone(),
            owners: self.owners.clone(),
        }
    }
}

impl<C> Default for Tables<C> {
    fn default() -> Self {
        Tables {
            broadcast: ByType::default(),
            query: ByType::default(),
            task: ByType::default(),
            observers: Vec::new(),
            owners: HashMap::new(),
        }
    }
}

impl<C> Tables<C> {
    fn table(&mut self, kind: DispatchKind) -> &mut ByType {
        match kind {
            DispatchKind::Broadcast => &mut self.broadcast,
            DispatchKind::Query => &mut self.query,
            DispatchKind::Perform => &mut self.task,
        }
    }

    /// Appends `handler` to the list of message type `M` in the `kind` table.
    pub(crate) fn add<M: 'static, F: ?Sized + Send + Sync + 'static>(
        &mut self,
        kind: DispatchKind,
        id: HandlerId,
        handler: Arc<F>,
    ) {
        let type_id = TypeId::of::<M>();
        let table = self.table(kind);
        let mut entries = table
            .get(&type_id)
            .and_then(|list| list.as_any().downcast_ref::<List<F>>())
            .map(|list| list.entries.clone())
            .unwrap_or_default();
        entries.push((id, handler));
        table.insert(type_id, Arc::new(List { entries }));
        self.owners.insert(id, (kind, type_id));
    }

    pub(crate) fn add_observer(&mut self, id: HandlerId, observer: Arc<ObserverFn<C>>) {
        self.observers.push((id, observer));
    }

    /// Removes handler `id`; reports whether it was registered.
    pub(crate) fn remove(&mut self, id: HandlerId) -> bool {
        if let Some((kind, type_id)) = self.owners.remove(&id) {
            let table = self.table(kind);
            match table.get(&type_id).and_then(|list| list.without(id)) {
                Some(list) => table.insert(type_id, list),
                None => table.remove(&type_id),
            };
            return true;
        }
        let before = self.observers.len();
        self.observers.retain(|(h, _)| *h != id);
        self.observers.len() != before
    }

    /// The typed list of `M` in `table`, if any handler is registered for it.
    pub(crate) fn list<M: 'static, F: ?Sized + 'static>(table: &ByType) -> Option<&List<F>> {
        table
            .get(&TypeId::of::<M>())
            .and_then(|list| list.as_any().downcast_ref::<List<F>>())
    }
}
