//! Contacts: two items per person, written together. `CONTACT#<address>` / `ADDRESS` names the
//! person an address belongs to (so that an address is one person's at a time, and an inbound
//! message finds its sender in one read); `PERSON#<principal>` / `CONTACT` holds the person's
//! address and choices (so that a notification finds its recipient in one read).

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use tickets_domain::store::{Contact, ContactRemembered, ContactStore};
use tickets_domain::StoreError;

use crate::error::condition_held;
use crate::items::{from_item, key, string_attr, to_item, Item};
use crate::{DynamoStore, Transaction};

pub(crate) const ADDRESS_SK: &str = "ADDRESS";
pub(crate) const CONTACT_SK: &str = "CONTACT";

pub(crate) fn address_pk(address: &str) -> String {
    format!("CONTACT#{}", address.trim().to_lowercase())
}

pub(crate) fn person_pk(principal: &str) -> String {
    format!("PERSON#{principal}")
}

impl DynamoStore {
    /// Deletes a person's contact items (both, when the address is still theirs); how many
    /// people that was (0 or 1).
    pub(crate) async fn erase_contact(&self, principal: &str) -> Result<u64, StoreError> {
        let Some(contact) = self.contact_of(principal).await? else {
            return Ok(0);
        };
        let mut keys = vec![key(person_pk(principal), CONTACT_SK)];
        if self.address_owner(&contact.address).await?.as_deref() == Some(principal) {
            keys.push(key(address_pk(&contact.address), ADDRESS_SK));
        }
        self.delete_keys(keys).await?;
        Ok(1)
    }

    /// Whose an address is.
    async fn address_owner(&self, address: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .read_item(key(address_pk(address), ADDRESS_SK))
            .await?
            .and_then(|item| string_attr(&item, "principal")))
    }
}

impl ContactStore for DynamoStore {
    async fn remember_contact(&self, contact: &Contact) -> Result<ContactRemembered, StoreError> {
        let mut person = to_item(contact)?;
        person.extend(key(person_pk(&contact.principal), CONTACT_SK));
        let mut address = key(address_pk(&contact.address), ADDRESS_SK);
        address.insert(
            "principal".into(),
            AttributeValue::S(contact.principal.clone()),
        );
        let put = |item: Item| -> Result<TransactWriteItem, StoreError> {
            Ok(TransactWriteItem::builder()
                .put(self.put(item, "attribute_not_exists(pk)")?)
                .build())
        };
        if let Transaction::Committed = self.transact(vec![put(person)?, put(address)?]).await? {
            return Ok(ContactRemembered::New);
        }
        let owner = self.address_owner(&contact.address).await?;
        let taken = owner
            .as_deref()
            .is_some_and(|owner| owner != contact.principal);
        let whose = owner
            .filter(|_| taken)
            .unwrap_or_else(|| contact.principal.clone());
        match self.contact_of(&whose).await? {
            Some(owner) if taken => Ok(ContactRemembered::Taken(owner)),
            Some(known) => Ok(ContactRemembered::Known(known)),
            // The address item without its person: a half-erased contact; taken by nobody.
            None => Err(StoreError::Unavailable),
        }
    }

    async fn contact_of(&self, principal: &str) -> Result<Option<Contact>, StoreError> {
        let Some(mut item) = self
            .read_item(key(person_pk(principal), CONTACT_SK))
            .await?
        else {
            return Ok(None);
        };
        item.remove("pk");
        item.remove("sk");
        from_item(item).map(Some)
    }

    async fn contact_by_address(&self, address: &str) -> Result<Option<Contact>, StoreError> {
        match self.address_owner(address).await? {
            Some(principal) => self.contact_of(&principal).await,
            None => Ok(None),
        }
    }

    async fn set_notifications(&self, principal: &str, on: bool) -> Result<bool, StoreError> {
        condition_held(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(person_pk(principal), CONTACT_SK)))
                .update_expression("SET notifications = :on")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":on", AttributeValue::Bool(on))
                .send()
                .await,
        )
    }
}
